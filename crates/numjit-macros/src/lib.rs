//! Owns numjit's function-like macros [`evaluate!`], [`eval!`] and [`execute!`]: the text is
//! parsed at compile time with numjit-syntax, and every name it reads is bound from the
//! enclosing scope (the names a script assigns into, writably).
//! Must not touch dtypes, shapes, Cranelift or threads: the expansion calls numjit's public
//! API (`numjit::__private::Site`), which does the rest at run time.
//!
//! Use them through `numjit` (which re-exports them), not this crate:
//!
//! ```ignore
//! let a = vec![1.0, 2.0, 3.0];
//! let b = vec![10.0, 20.0, 30.0];
//! let mut out = vec![0.0; 3];
//! numjit::evaluate!("a**2 + b**2 + 2*a*b", out)?;
//! ```
//!
//! expands to (roughly)
//!
//! ```ignore
//! {
//!     static SITE: numjit::__private::Site = numjit::__private::Site::new("a**2 + b**2 + 2*a*b");
//!     SITE.evaluate(&mut out, numjit::Vars::new().bind("a", &a).bind("b", &b))
//! }
//! ```
//!
//! The `static` is the per-call-site cache: the expression is parsed once, on the first call,
//! and its typed programs and kernels are kept in it, so a call costs what a call of a
//! [`numjit::Compiled`] handle does (no text lookup). A syntax error is a compile error on the
//! string literal whose message shows the text with a caret under the mistake (stable Rust
//! cannot point a span inside a literal).
//!
//! The constants `pi`, `e`, `inf` and `nan` are never bound from the scope by these macros (a
//! macro cannot see whether a local of that name exists): inside a macro they are always the
//! constants. The function API (`numjit::eval` with `vars!`) lets a binding shadow them.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use numjit_syntax::ast::{Expr, ExprKind, StmtKind, SubItem, CONSTANTS};
use proc_macro::TokenStream;
use proc_macro2::{Span, TokenStream as TokenStream2};
use quote::{format_ident, quote, quote_spanned};
use syn::parse::ParseStream;
use syn::{LitStr, Token};

/// `numjit::evaluate!("expr", out)`: evaluates `expr` into `out`, binding every name the
/// expression reads from the enclosing scope; returns `Result<(), numjit::Error>`.
///
/// `out` is anything `numjit::evaluate` accepts; a plain variable name (a `Vec`, slice,
/// array, ndarray array or `numjit::Array`, or a `&mut` of one) is written in place.
#[proc_macro]
pub fn evaluate(input: TokenStream) -> TokenStream {
    expand(input, Form::Evaluate)
}

/// `numjit::eval!("expr")`: evaluates `expr` into a new `numjit::Array`, binding every name
/// the expression reads from the enclosing scope; returns `Result<Array, numjit::Error>`.
#[proc_macro]
pub fn eval(input: TokenStream) -> TokenStream {
    expand(input, Form::Eval)
}

/// `numjit::execute!("script")`: runs a script, binding the names it assigns into
/// (`x[1:] = ...`) mutably and every other name it reads immutably, from the enclosing
/// scope; returns `Result<numjit::Outputs, numjit::Error>`.
#[proc_macro]
pub fn execute(input: TokenStream) -> TokenStream {
    expand(input, Form::Execute)
}

#[derive(Clone, Copy, PartialEq)]
enum Form {
    Evaluate,
    Eval,
    Execute,
}

impl Form {
    fn name(self) -> &'static str {
        match self {
            Form::Evaluate => "evaluate",
            Form::Eval => "eval",
            Form::Execute => "execute",
        }
    }
}

/// The macro's arguments: the text, and for `evaluate!` the output.
struct Args {
    text: LitStr,
    out: Option<TokenStream2>,
}

fn parse_args(input: ParseStream<'_>, form: Form) -> syn::Result<Args> {
    let usage = match form {
        Form::Evaluate => "usage: `numjit::evaluate!(\"expression\", out)`",
        Form::Eval => "usage: `numjit::eval!(\"expression\")`",
        Form::Execute => "usage: `numjit::execute!(\"script\")`",
    };
    let text: LitStr = input.parse().map_err(|e| {
        syn::Error::new(
            e.span(),
            format!("expected the expression as a string literal; {usage}"),
        )
    })?;
    if form == Form::Evaluate {
        if input.is_empty() {
            return Err(syn::Error::new(
                text.span(),
                format!("`evaluate!` needs an output after the expression; {usage}"),
            ));
        }
        input.parse::<Token![,]>()?;
        let out: TokenStream2 = input.parse()?;
        if out.is_empty() {
            return Err(syn::Error::new(
                text.span(),
                format!("`evaluate!` needs an output after the expression; {usage}"),
            ));
        }
        let mut tokens: Vec<_> = out.into_iter().collect();
        if matches!(tokens.last(), Some(proc_macro2::TokenTree::Punct(p)) if p.as_char() == ',') {
            tokens.pop();
        }
        return Ok(Args {
            text,
            out: Some(tokens.into_iter().collect()),
        });
    }
    if input.peek(Token![,]) {
        input.parse::<Token![,]>()?;
    }
    if !input.is_empty() {
        return Err(syn::Error::new(
            input.span(),
            format!("`{}!` takes only the text; {usage}", form.name()),
        ));
    }
    Ok(Args { text, out: None })
}

fn expand(input: TokenStream, form: Form) -> TokenStream {
    let parser = |s: ParseStream<'_>| parse_args(s, form);
    let args = match syn::parse::Parser::parse(parser, input) {
        Ok(a) => a,
        Err(e) => return e.to_compile_error().into(),
    };
    match expand_args(&args, form) {
        Ok(t) => t.into(),
        Err(e) => e.to_compile_error().into(),
    }
}

fn expand_args(args: &Args, form: Form) -> syn::Result<TokenStream2> {
    let text = args.text.value();
    let span = args.text.span();
    let (reads, writes) = if form == Form::Execute {
        let stmts = numjit_syntax::parse_script(&text).map_err(|e| syntax_error(e, &text, span))?;
        script_names(&stmts)
    } else {
        let ast = numjit_syntax::parse(&text).map_err(|e| syntax_error(e, &text, span))?;
        let mut reads = Vec::new();
        names(&ast, &mut reads);
        (reads, Vec::new())
    };
    let mut binds = TokenStream2::new();
    for name in &writes {
        let id = format_ident!("{}", name, span = span);
        binds.extend(quote_spanned! {span=> .bind_mut(#name, &mut #id) });
    }
    for name in reads.iter().filter(|n| !writes.contains(n)) {
        let id = format_ident!("{}", name, span = span);
        binds.extend(quote_spanned! {span=> .bind(#name, &#id) });
    }
    let lit = &args.text;
    let site = quote! {
        static __NUMJIT_SITE: ::numjit::__private::Site = ::numjit::__private::Site::new(#lit);
    };
    let vars = quote! { ::numjit::Vars::new() #binds };
    Ok(match form {
        Form::Evaluate => {
            let out = args.out.as_ref().expect("evaluate! has an output");
            let out = match single_ident(out) {
                Some(id) => quote! {{
                    use ::numjit::__private::AsOut as _;
                    #id.__numjit_out()
                }},
                None => out.clone(),
            };
            quote! {{ #site __NUMJIT_SITE.evaluate(#out, #vars) }}
        }
        Form::Eval => quote! {{ #site __NUMJIT_SITE.eval(#vars) }},
        Form::Execute => quote! {{ #site __NUMJIT_SITE.execute(#vars) }},
    })
}

/// The identifier, if the tokens are exactly one.
fn single_ident(t: &TokenStream2) -> Option<proc_macro2::Ident> {
    let mut it = t.clone().into_iter();
    match (it.next(), it.next()) {
        (Some(proc_macro2::TokenTree::Ident(id)), None) => Some(id),
        _ => None,
    }
}

/// A compile error on the literal whose message is numjit's caret display of the mistake.
fn syntax_error(e: numjit_syntax::Error, text: &str, span: Span) -> syn::Error {
    let shown = e.with_source(text).to_string();
    let shown = shown.strip_prefix("error: ").unwrap_or(&shown).to_string();
    syn::Error::new(span, shown)
}

/// The names `e` reads, in order of first appearance, without the constants.
fn names(e: &Expr, out: &mut Vec<String>) {
    match &e.kind {
        ExprKind::Name(n) => {
            if !CONSTANTS.contains(&n.as_str()) && !out.contains(n) {
                out.push(n.clone());
            }
        }
        ExprKind::Unary { arg, .. } => names(arg, out),
        ExprKind::Reduce { arg, .. } => names(arg, out),
        ExprKind::Binary { lhs, rhs, .. } => {
            names(lhs, out);
            names(rhs, out);
        }
        ExprKind::Call { args, .. } => args.iter().for_each(|a| names(a, out)),
        ExprKind::Subscript { base, items } => {
            names(base, out);
            for it in items {
                match it {
                    SubItem::Index(x) => names(x, out),
                    SubItem::Slice {
                        start, stop, step, ..
                    } => {
                        for x in [start, stop, step].into_iter().flatten() {
                            names(x, out);
                        }
                    }
                    SubItem::Ellipsis(_) => {}
                }
            }
        }
        ExprKind::Int(_)
        | ExprKind::Float(_)
        | ExprKind::Bool(_)
        | ExprKind::Imag(_)
        | ExprKind::Str(_) => {}
    }
}

/// The names a script reads from its caller and the names it writes into
/// (`x[...] = ...`), in order of first appearance. A name is the caller's until a
/// `name = expr` statement makes it the script's own.
fn script_names(stmts: &[numjit_syntax::ast::Stmt]) -> (Vec<String>, Vec<String>) {
    let mut own: Vec<String> = Vec::new();
    let mut reads = Vec::new();
    let mut writes = Vec::new();
    let add = |found: Vec<String>, own: &[String], to: &mut Vec<String>| {
        for n in found {
            if !own.contains(&n) && !to.contains(&n) {
                to.push(n);
            }
        }
    };
    for s in stmts {
        match &s.kind {
            StmtKind::Expr(e) => {
                let mut found = Vec::new();
                names(e, &mut found);
                add(found, &own, &mut reads);
            }
            StmtKind::Assign { target, value } => {
                let mut found = Vec::new();
                names(value, &mut found);
                match &target.kind {
                    ExprKind::Name(n) => {
                        add(found, &own, &mut reads);
                        if !own.contains(n) {
                            own.push(n.clone());
                        }
                    }
                    _ => {
                        // The subscript's bounds are reads; its base is written.
                        let mut in_target = Vec::new();
                        names(target, &mut in_target);
                        let base = base_name(target);
                        for n in in_target {
                            if Some(&n) != base.as_ref() && !found.contains(&n) {
                                found.push(n);
                            }
                        }
                        add(found, &own, &mut reads);
                        if let Some(b) = base {
                            add(vec![b], &own, &mut writes);
                        }
                    }
                }
            }
        }
    }
    (reads, writes)
}

fn base_name(e: &Expr) -> Option<String> {
    match &e.kind {
        ExprKind::Subscript { base, .. } => base_name(base),
        ExprKind::Name(n) => Some(n.clone()),
        _ => None,
    }
}
