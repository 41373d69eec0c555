//! Provides the public entry points ([`evaluate`], [`eval`], [`compile`], [`interpret`]), the
//! bindings type [`Vars`], and the kernel cache: expression text → parsed [`Compiled`] (bounded
//! LRU) → typed program per input dtypes → kernel per operand layout.

use crate::array::{Arg, Array, DType, Out};
use crate::check::{self, broadcast, shape_str};
use crate::codegen::{self, Access, Kernel};
use crate::error::{Error, ErrorKind, Result, Span};
use crate::exec::{self, Schedule};
use crate::interp;
use crate::ir::Program;
use crate::syntax::{self, ast::Expr, ast::ExprKind};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Named inputs for an expression, usually built with [`crate::vars!`].
///
/// Names the expression does not use are ignored; a name bound twice takes the later value.
#[derive(Default, Debug, Clone)]
pub struct Vars<'a> {
    items: Vec<(&'a str, Arg<'a>)>,
}

impl<'a> Vars<'a> {
    /// No bindings.
    pub fn new() -> Self {
        Vars { items: Vec::new() }
    }

    /// Adds the binding `name = value`.
    pub fn bind(mut self, name: &'a str, value: impl Into<Arg<'a>>) -> Self {
        self.items.push((name, value.into()));
        self
    }

    /// The value bound to `name`, if any.
    pub fn get(&self, name: &str) -> Option<&Arg<'a>> {
        self.items
            .iter()
            .rev()
            .find(|(n, _)| *n == name)
            .map(|(_, a)| a)
    }

    /// The bound names.
    pub fn names(&self) -> Vec<&'a str> {
        self.items.iter().map(|(n, _)| *n).collect()
    }
}

/// Binds local variables by their own names: `vars!{a, b}` is
/// `Vars::new().bind("a", &a).bind("b", &b)`; `"name" => value` pairs may be mixed in.
#[macro_export]
macro_rules! vars {
    (@acc $v:expr ;) => { $v };
    (@acc $v:expr ; $name:ident $(, $($rest:tt)*)?) => {
        $crate::vars!(@acc $v.bind(stringify!($name), &$name) ; $($($rest)*)?)
    };
    (@acc $v:expr ; $key:literal => $value:expr $(, $($rest:tt)*)?) => {
        $crate::vars!(@acc $v.bind($key, $value) ; $($($rest)*)?)
    };
    ($($t:tt)*) => { $crate::vars!(@acc $crate::Vars::new() ; $($t)*) };
}

/// An expression parsed once, ready to run on any inputs without a cache lookup.
///
/// Cloning is cheap (shared). Typed programs and kernels are compiled on first use for each
/// combination of input dtypes and operand layouts, and kept.
#[derive(Clone, Debug)]
pub struct Compiled {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    source: String,
    ast: Expr,
    /// Free names in order of first appearance, with the span of that appearance.
    names: Vec<(String, Span)>,
    typed: Mutex<Vec<Arc<Typed>>>,
}

/// A program for one combination of input dtypes, with its kernels per layout.
#[derive(Debug)]
struct Typed {
    dtypes: Vec<DType>,
    program: Program,
    /// For each program input, its index in `Inner::names`.
    input_names: Vec<usize>,
    kernels: Mutex<Vec<(Vec<Access>, Arc<Kernel>)>>,
}

/// Bound on typed programs kept per expression (distinct input dtype combinations).
const MAX_TYPED: usize = 16;
/// Bound on kernels kept per typed program (distinct layouts).
const MAX_KERNELS: usize = 16;
/// Bound on expressions kept in the global cache (numexpr keeps 256).
const CACHE_SIZE: usize = 256;

fn free_names(e: &Expr, out: &mut Vec<(String, Span)>) {
    match &e.kind {
        ExprKind::Name(n) => {
            if !out.iter().any(|(m, _)| m == n) {
                out.push((n.clone(), e.span));
            }
        }
        ExprKind::Unary { arg, .. } => free_names(arg, out),
        ExprKind::Binary { lhs, rhs, .. } => {
            free_names(lhs, out);
            free_names(rhs, out);
        }
        ExprKind::Call { args, .. } => args.iter().for_each(|a| free_names(a, out)),
        ExprKind::Int(_) | ExprKind::Float(_) | ExprKind::Bool(_) => {}
    }
}

/// A call's inputs resolved against a typed program, and the result shape.
struct Prepared<'v, 'a> {
    typed: Arc<Typed>,
    args: Vec<&'v Arg<'a>>,
    shape: Vec<usize>,
}

impl Compiled {
    /// Parses `source`.
    pub fn new(source: &str) -> Result<Compiled> {
        let ast = syntax::parse(source).map_err(|e| e.with_source(source))?;
        let mut names = Vec::new();
        free_names(&ast, &mut names);
        Ok(Compiled {
            inner: Arc::new(Inner {
                source: source.to_string(),
                ast,
                names,
                typed: Mutex::new(Vec::new()),
            }),
        })
    }

    /// The expression text.
    pub fn source(&self) -> &str {
        &self.inner.source
    }

    /// The parsed syntax tree.
    pub fn ast(&self) -> &Expr {
        &self.inner.ast
    }

    /// Evaluates into `out`, which must have the result's dtype and a shape the inputs
    /// broadcast to. On error `out` is untouched.
    pub fn evaluate<'o>(&self, out: impl Into<Out<'o>>, vars: Vars<'_>) -> Result<()> {
        self.evaluate_with(out, vars, &Schedule::default())
    }

    /// [`Compiled::evaluate`] with an explicit schedule (thread count, chunk size).
    pub fn evaluate_with<'o>(
        &self,
        out: impl Into<Out<'o>>,
        vars: Vars<'_>,
        sched: &Schedule,
    ) -> Result<()> {
        let mut out = out.into();
        let p = self.prepare(&vars)?;
        self.check_out(&p, &out)?;
        self.execute(&p, &mut out, sched)
    }

    /// Evaluates into a newly allocated array.
    pub fn eval(&self, vars: Vars<'_>) -> Result<Array> {
        self.eval_with(vars, &Schedule::default())
    }

    /// [`Compiled::eval`] with an explicit schedule.
    pub fn eval_with(&self, vars: Vars<'_>, sched: &Schedule) -> Result<Array> {
        let p = self.prepare(&vars)?;
        let mut result = Array::zeros(p.typed.program.dtype(), &p.shape);
        let mut out = result.view_mut();
        self.execute(&p, &mut out, sched)?;
        Ok(result)
    }

    /// Evaluates with the reference interpreter (slow; the oracle numjit's tests use).
    pub fn interpret(&self, vars: Vars<'_>) -> Result<Array> {
        let p = self.prepare(&vars)?;
        Ok(interp::run(&p.typed.program, &p.args, &p.shape))
    }

    /// The typed program for these inputs (printable, one node per line).
    pub fn program(&self, vars: Vars<'_>) -> Result<Program> {
        Ok(self.prepare(&vars)?.typed.program.clone())
    }

    /// The Cranelift IR of the kernel for these inputs, evaluated into a fresh array.
    pub fn clif(&self, vars: Vars<'_>) -> Result<String> {
        let p = self.prepare(&vars)?;
        let mut result = Array::zeros(p.typed.program.dtype(), &p.shape);
        let mut out = result.view_mut();
        let text = Mutex::new(String::new());
        exec::run(&mut out, &p.args, &Schedule::default(), &|layout| {
            let k = self.kernel(&p.typed, layout)?;
            *text.lock().unwrap_or_else(|e| e.into_inner()) = k.clif().to_string();
            Ok(k)
        })
        .map_err(|e| e.with_source(self.source()))?;
        Ok(text.into_inner().unwrap_or_else(|e| e.into_inner()))
    }

    fn prepare<'v, 'a>(&self, vars: &'v Vars<'a>) -> Result<Prepared<'v, 'a>> {
        self.prepare_inner(vars)
            .map_err(|e| e.with_source(self.source()))
    }

    fn prepare_inner<'v, 'a>(&self, vars: &'v Vars<'a>) -> Result<Prepared<'v, 'a>> {
        let inner = &*self.inner;
        let mut bound: Vec<&'v Arg<'a>> = Vec::with_capacity(inner.names.len());
        for (name, _) in &inner.names {
            match vars.get(name) {
                Some(a) => bound.push(a),
                None => break,
            }
        }
        let typed = if bound.len() < inner.names.len() {
            None
        } else {
            let typed = inner.typed.lock().unwrap_or_else(|e| e.into_inner());
            typed
                .iter()
                .find(|t| t.dtypes.iter().zip(&bound).all(|(d, a)| *d == a.dtype))
                .cloned()
        };
        let typed = match typed {
            Some(t) => t,
            None => {
                // Checking reports any unbound name with a suggestion.
                let lookup = |n: &str| vars.get(n).map(|a| a.dtype);
                let known = vars.names();
                let program = check::check(&inner.ast, &lookup, &known)?;
                let input_names = program
                    .inputs
                    .iter()
                    .map(|i| {
                        inner
                            .names
                            .iter()
                            .position(|(n, _)| *n == i.name)
                            .expect("program inputs are free names")
                    })
                    .collect();
                let t = Arc::new(Typed {
                    dtypes: bound.iter().map(|a| a.dtype).collect(),
                    program,
                    input_names,
                    kernels: Mutex::new(Vec::new()),
                });
                let mut all = inner.typed.lock().unwrap_or_else(|e| e.into_inner());
                if all.len() >= MAX_TYPED {
                    all.remove(0);
                }
                all.push(t.clone());
                t
            }
        };
        let args: Vec<&'v Arg<'a>> = typed.input_names.iter().map(|&i| bound[i]).collect();
        let shapes: Vec<&[usize]> = args.iter().map(|a| a.shape()).collect();
        let shape = broadcast(&shapes).map_err(|(i, j)| {
            let (ni, nj) = (typed.input_names[i], typed.input_names[j]);
            Error::new(
                ErrorKind::Shape,
                format!(
                    "shapes do not broadcast: `{}` has shape {} but `{}` has shape {}",
                    inner.names[ni].0,
                    shape_str(shapes[i]),
                    inner.names[nj].0,
                    shape_str(shapes[j])
                ),
                Some(inner.names[nj].1),
            )
        })?;
        Ok(Prepared { typed, args, shape })
    }

    fn check_out(&self, p: &Prepared<'_, '_>, out: &Out<'_>) -> Result<()> {
        let whole = Some(Span::new(0, self.source().len()));
        let dt = p.typed.program.dtype();
        let err =
            |msg: String| Err(Error::new(ErrorKind::Output, msg, whole).with_source(self.source()));
        if out.dtype() != dt {
            return err(format!(
                "the output has dtype {} but the expression's result is {dt}",
                out.dtype()
            ));
        }
        if broadcast(&[&p.shape, out.shape()]).as_deref() != Ok(out.shape()) {
            return err(format!(
                "the output has shape {} but the expression's result has shape {}",
                shape_str(out.shape()),
                shape_str(&p.shape)
            ));
        }
        Ok(())
    }

    fn kernel(&self, typed: &Typed, layout: &[Access]) -> Result<Arc<Kernel>> {
        let mut kernels = typed.kernels.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, k)) = kernels.iter().find(|(l, _)| l == layout) {
            return Ok(k.clone());
        }
        let k = Arc::new(codegen::compile(&typed.program, layout).map_err(|msg| {
            Error::new(
                ErrorKind::Internal,
                format!("code generation failed: {msg}"),
                None,
            )
        })?);
        if kernels.len() >= MAX_KERNELS {
            kernels.remove(0);
        }
        kernels.push((layout.to_vec(), k.clone()));
        Ok(k)
    }

    fn execute(&self, p: &Prepared<'_, '_>, out: &mut Out<'_>, sched: &Schedule) -> Result<()> {
        exec::run(out, &p.args, sched, &|layout| self.kernel(&p.typed, layout))
            .map_err(|e| e.with_source(self.source()))
    }
}

struct Cache {
    map: HashMap<String, (Compiled, u64)>,
    clock: u64,
}

static CACHE: Mutex<Option<Cache>> = Mutex::new(None);

/// Parses `expr`, or returns the cached parse (a bounded LRU of 256 expressions).
pub fn compile(expr: &str) -> Result<Compiled> {
    let mut guard = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    let cache = guard.get_or_insert_with(|| Cache {
        map: HashMap::new(),
        clock: 0,
    });
    cache.clock += 1;
    let now = cache.clock;
    if let Some((c, stamp)) = cache.map.get_mut(expr) {
        *stamp = now;
        return Ok(c.clone());
    }
    let c = Compiled::new(expr)?;
    if cache.map.len() >= CACHE_SIZE {
        let oldest = cache
            .map
            .iter()
            .min_by_key(|(_, (_, s))| *s)
            .map(|(k, _)| k.clone());
        if let Some(k) = oldest {
            cache.map.remove(&k);
        }
    }
    cache.map.insert(expr.to_string(), (c.clone(), now));
    Ok(c)
}

/// Evaluates `expr` into `out` (a mutable slice, `Vec`, ndarray array or view).
///
/// `out` must have the result's dtype and a shape the inputs broadcast to; on any error it
/// is left untouched.
pub fn evaluate<'o>(expr: &str, out: impl Into<Out<'o>>, vars: Vars<'_>) -> Result<()> {
    compile(expr)?.evaluate(out, vars)
}

/// Evaluates `expr` into a newly allocated array of the broadcast shape.
pub fn eval(expr: &str, vars: Vars<'_>) -> Result<Array> {
    compile(expr)?.eval(vars)
}

/// Evaluates `expr` with the reference interpreter (slow, obviously right).
pub fn interpret(expr: &str, vars: Vars<'_>) -> Result<Array> {
    compile(expr)?.interpret(vars)
}
