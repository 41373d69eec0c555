//! Owns the bindings: `Vars` (read-only and writable names), the `vars!` macro that builds
//! them, and `Scope`, where one statement looks names up (script arrays over caller bindings).
//! Must not check, compile or evaluate anything: it only resolves names to the arrays bound to
//! them.

use super::lift::is_hidden;
use crate::types::raw;
use crate::types::shape_str;
use crate::types::{Arg, DType, Out, Scalar, Strided};
use crate::types::{IntoArg, IntoOut};
use numjit_syntax::{Error, ErrorKind, Result, Span};
use smallvec::SmallVec;

/// One binding: read-only, or writable (the target of `x[...] = ...`), which is readable
/// too through the `Arg` view of the same memory kept beside it.
#[derive(Debug)]
pub(super) enum Binding<'a> {
    In(Arg<'a>),
    Mut(Out<'a>, Arg<'a>),
}

/// Named inputs (and, for scripts, writable targets), usually built with [`crate::vars!`].
///
/// Names the expression does not use are ignored; a name bound twice takes the later value.
#[derive(Default, Debug)]
pub struct Vars<'a> {
    pub(super) items: Vec<(&'a str, Binding<'a>)>,
}

impl<'a> Vars<'a> {
    /// Whether every binding matches `keys`, in order (see [`BindingKey`]).
    pub(super) fn match_keys(&self, keys: &[BindingKey]) -> bool {
        keys.len() == self.items.len()
            && keys
                .iter()
                .zip(&self.items)
                .all(|(k, (n, b))| k.matches(n, b))
    }

    /// The index of the binding `name` is looked up as (the last of that name).
    pub(super) fn index_of(&self, name: &str) -> Option<usize> {
        self.items.iter().rposition(|(n, _)| *n == name)
    }

    /// The readable views of the bindings at `indices`, in that order.
    pub(super) fn views_at(&self, indices: &[usize]) -> SmallVec<[&Arg<'a>; 8]> {
        indices
            .iter()
            .map(|&i| binding_arg(&self.items[i].1).0)
            .collect()
    }

    /// The keys of these bindings, in order.
    pub(super) fn keys(&self) -> Vec<BindingKey> {
        self.items
            .iter()
            .map(|(n, b)| BindingKey::new(n, b))
            .collect()
    }

    /// No bindings.
    pub fn new() -> Self {
        Vars {
            items: Vec::with_capacity(8),
        }
    }

    /// Adds the read-only binding `name = value`.
    pub fn bind(mut self, name: &'a str, value: impl IntoArg<'a>) -> Self {
        self.items.push((name, Binding::In(value.into_arg())));
        self
    }

    /// Adds a writable binding: scripts may assign into it with `name[...] = expr`.
    pub fn bind_mut(mut self, name: &'a str, value: impl IntoOut<'a>) -> Self {
        let out: Out<'a> = value.into_out();
        let arg = out.as_arg();
        self.items.push((name, Binding::Mut(out, arg)));
        self
    }

    /// The value bound to `name`, if any (a writable binding read as an input).
    pub fn get(&self, name: &str) -> Option<&Arg<'a>> {
        self.items
            .iter()
            .rev()
            .find(|(n, _)| *n == name)
            .map(|(_, b)| match b {
                Binding::In(a) | Binding::Mut(_, a) => a,
            })
    }

    /// The bound names.
    pub fn names(&self) -> Vec<&'a str> {
        self.items.iter().map(|(n, _)| *n).collect()
    }

    pub(super) fn get_mut(&mut self, name: &str) -> Option<&mut Out<'a>> {
        match self.items.iter_mut().rev().find(|(n, _)| *n == name) {
            Some((_, Binding::Mut(o, _))) => Some(o),
            _ => None,
        }
    }
}

/// What a call's binding must match for a plan made in an earlier call to apply (a script's
/// `FastPlan`, a `Compiled` call's reused plan): name, dtype, layout, writability, and an
/// integer scalar's value (it may be a subscript bound).
#[derive(Debug)]
pub(super) struct BindingKey {
    name: String,
    dtype: DType,
    layout: Strided,
    writable: bool,
    int: Option<i64>,
}

impl BindingKey {
    pub(super) fn new(name: &str, b: &Binding<'_>) -> BindingKey {
        let (arg, writable) = binding_arg(b);
        BindingKey {
            name: name.to_string(),
            dtype: arg.dtype(),
            layout: arg.layout(),
            writable,
            int: int_value(arg),
        }
    }

    pub(super) fn matches(&self, name: &str, b: &Binding<'_>) -> bool {
        let (arg, writable) = binding_arg(b);
        self.name == name
            && self.dtype == arg.dtype()
            && self.writable == writable
            && self.layout.offset == arg.offset
            && self.layout.shape == arg.shape
            && self.layout.strides == arg.strides
            && self.int == int_value(arg)
    }
}

/// A binding's readable view, and whether it is writable.
pub(super) fn binding_arg<'b, 'a>(b: &'b Binding<'a>) -> (&'b Arg<'a>, bool) {
    match b {
        Binding::In(a) => (a, false),
        Binding::Mut(_, a) => (a, true),
    }
}

/// The value of an integer scalar binding.
fn int_value(arg: &Arg<'_>) -> Option<i64> {
    if !arg.shape.is_empty() || arg.is_placeholder() {
        return None;
    }
    match arg.dtype() {
        DType::Int64 | DType::Int32 => match raw::read(arg, &[]) {
            Scalar::Int(v) => Some(v),
            Scalar::Int32(v) => Some(v as i64),
            _ => None,
        },
        _ => None,
    }
}

/// Binds local variables by their own names: `vars!{a, b}` is
/// `Vars::new().bind("a", &a).bind("b", &b)`; `mut x` binds `&mut x` writably (a script's
/// assignment target); `"name" => value` pairs may be mixed in, and bind `&value`, so owned
/// temporaries work where the `Vars` is used in the same statement
/// (`eval("b * 2", vars!{"b" => vec![1.0, 2.0]})`). Locals that are themselves references
/// (`for (x, y) in pairs.iter() { eval("x + y", vars!{x, y}) }`) bind as well.
///
/// ```
/// let pairs = vec![(vec![1.0, 2.0], vec![10.0, 20.0])];
/// for (x, y) in pairs.iter() {
///     let r = numjit::eval("x + y", numjit::vars! {x, y})?;
///     assert_eq!(r.as_f64().unwrap().as_slice().unwrap(), &[11.0, 22.0]);
/// }
/// let r = numjit::eval("b * k", numjit::vars! {"b" => vec![1.0, 2.0], "k" => 3.0})?;
/// assert_eq!(r.as_f64().unwrap().as_slice().unwrap(), &[3.0, 6.0]);
/// # Ok::<(), numjit::Error>(())
/// ```
#[macro_export]
macro_rules! vars {
    (@acc $v:expr ;) => { $v };
    (@acc $v:expr ; mut $name:ident $(, $($rest:tt)*)?) => {
        $crate::vars!(@acc $v.bind_mut(stringify!($name), &mut $name) ; $($($rest)*)?)
    };
    (@acc $v:expr ; $name:ident $(, $($rest:tt)*)?) => {
        $crate::vars!(@acc $v.bind(stringify!($name), &$name) ; $($($rest)*)?)
    };
    (@acc $v:expr ; $key:literal => & $value:expr $(, $($rest:tt)*)?) => {
        $crate::vars!(@acc $v.bind($key, &$value) ; $($($rest)*)?)
    };
    (@acc $v:expr ; $key:literal => $value:expr $(, $($rest:tt)*)?) => {
        $crate::vars!(@acc $v.bind($key, &$value) ; $($($rest)*)?)
    };
    ($($t:tt)*) => { $crate::vars!(@acc $crate::Vars::new() ; $($t)*) };
}

/// Where names are looked up during one statement: the caller's bindings, and arrays the
/// script created so far (which shadow them).
pub(super) struct Scope<'s, 'a> {
    pub(super) vars: &'s Vars<'a>,
    pub(super) env: &'s [(String, Arg<'a>)],
    /// Names the running script writes into (`k[...] = ...`): refused as subscript bounds,
    /// which must not change while the script runs (they were checked before it started).
    pub(super) written: &'s [String],
}

impl<'s, 'a> Scope<'s, 'a> {
    pub(super) fn get(&self, name: &str) -> Option<&'s Arg<'a>> {
        match self.env.iter().rev().find(|(n, _)| n == name) {
            Some((_, a)) => Some(a),
            None => self.vars.get(name),
        }
    }

    /// The names a user can refer to (hidden reduction results are not suggested).
    pub(super) fn names(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self.vars.names();
        v.extend(self.env.iter().map(|(n, _)| n.as_str()));
        v.retain(|n| !is_hidden(n));
        v
    }

    /// The value of a bound int64 scalar used in a subscript bound.
    pub(super) fn int(&self, name: &str, span: Span) -> Result<i64> {
        let arg = self.get(name).ok_or_else(|| {
            Error::new(
                ErrorKind::UnknownName,
                format!("unknown name `{name}`"),
                Some(span),
            )
        })?;
        if !arg.shape().is_empty() {
            return Err(Error::new(
                ErrorKind::Shape,
                format!(
                    "subscript bounds must be scalars; `{name}` has shape {} (index arrays and \
                     boolean masks are not supported: use `where(...)` to select values)",
                    shape_str(arg.shape())
                ),
                Some(span),
            ));
        }
        if arg.is_placeholder() || self.written.iter().any(|w| w == name) {
            return Err(Error::new(
                ErrorKind::Shape,
                format!("`{name}` is assigned by this script; subscript bounds must be bound by the caller"),
                Some(span),
            ));
        }
        match raw::read(arg, &[]) {
            crate::types::Scalar::Int(v) => Ok(v),
            crate::types::Scalar::Int32(v) => Ok(v as i64),
            crate::types::Scalar::Bool(_) => Err(Error::new(
                ErrorKind::DType,
                format!(
                    "subscript bounds must be integers; `{name}` is bool (boolean masks are not \
                     supported: use `where({name}, x, 0)`)"
                ),
                Some(span),
            )),
            _ => Err(Error::new(
                ErrorKind::DType,
                format!(
                    "subscript bounds must be integers; `{name}` is {}",
                    arg.dtype()
                ),
                Some(span),
            )),
        }
    }
}
