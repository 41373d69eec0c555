//! `numjit repl`: an interactive session over named arrays.
//!
//! A [`Session`] holds the environment (name → [`Array`]) and handles one input at a time
//! ([`Session::handle`], the function the terminal loop, the script loop and the fuzz tests
//! all call). An input is one or more statements separated by `;` or newlines:
//!
//! - `:command ...`: see [`HELP`];
//! - `name = ctor(...)` or a bare `ctor(...)`: the constructors zeros, ones, full, arange,
//!   linspace, random, eye, load and astype (also `x.astype(dtype)`), handled here, their
//!   numeric arguments evaluated as numjit expressions over the session's names (a `dtype=`
//!   is bool, int32, int64, float32, float64 or complex128); `save("f.npy", x)`;
//! - `name.shape`, `name.dtype`, `name.ndim`, `name.size`, `name.nbytes`;
//! - anything else goes to the engine: `name = expr` binds the result, a bare expression
//!   prints it the way NumPy's `repr()` does.
//!
//! `#` starts a comment; a line ending in `\` or with an open bracket continues on the next.
//! Errors are reported with the caret display under the input and never end the session.
//!
//! **A failed line changes nothing.** While a line runs, the session journals each change
//! ([`Change`]): the array a binding replaced (moved, not copied), and before an in-place
//! write `x[...] = ...` a copy of the elements the target covers (the size of the slice,
//! as NumPy's own temporary). When a statement fails, or is interrupted, the journal is undone
//! in reverse, so every name holds what it held before the line.
//!
//! **Interrupting.** The engine runs every statement on a schedule holding the session's
//! [`Interrupt`] ([`Session::interrupt`]); the terminal loop trips it on Ctrl-C (SIGINT,
//! through the `ctrlc` crate), so a long statement stops between chunks with the error
//! `interrupted` and the line is undone. At the prompt, Ctrl-C clears the line being typed
//! (the line editor reads it as a key) and Ctrl-D leaves. Constructors run to their end.

use super::arrays::{arange, cast, elements, fill, linspace, set_one, shaped, vec_with, Num};
use super::bench;
use super::random::SplitMix64;
pub use super::scan::needs_more;
use super::scan::{
    constructor_calls, find_assign, is_identifier, matching_close, option_start, parse_call,
    preprocess, split_top, statements, string_arg, trim, Call,
};
use numjit::internals::repr;
use numjit::{npy, Array, DType, Interrupt, Schedule, Vars};
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The text of `:help`.
pub const HELP: &str = "\
Statements (separate several with `;`; `#` starts a comment):
  c = a**2 + b**2 + 2*a*b      evaluate an expression and bind the result to c
  a**2 + 1                     evaluate and print (like NumPy's repr)
  a.shape  a.dtype  a.ndim  a.size  a.nbytes
Constructors (numeric arguments are expressions over your names):
  zeros(3, 4)  ones((3, 4), dtype=int32)  full(3, 4, 2.5)  full(3, 1+2j)
  eye(3)  arange(10)  arange(0, 1, 0.25, dtype=float32)
  linspace(0, 1, 1_000_000)
  random(1000, 1000, seed=1)   uniform in [0, 1) (SplitMix64); without a seed,
                               seeds come from a session stream starting at 0;
                               dtype=float32 as NumPy's Generator.random
  astype(x, float32)  x.astype(int32)   a copy converted as NumPy converts
  load(\"a.npy\")  save(\"c.npy\", c)
  dtypes: bool, int32, int64, float32, float64 (the default), complex128
Commands:
  :threads [N]        show or set the number of threads
  :time EXPR          median time per call and per element of EXPR
  :bench EXPR [--n N,...] [--threads T,...] [--dtype D] [--plot F.png]
                      the thread-scaling table (on your arrays unless --n)
  :vars               list names with dtype, shape and size
  :del NAME...        forget names
  :ast EXPR           the parsed expression, fully parenthesised
  :ir EXPR            the typed program for the current names
  :clif EXPR          the Cranelift IR of its kernel
  :help               this text
  :quit               leave (or Ctrl-D); Ctrl-C cancels the line being typed,
                      or stops a running statement (which then changes nothing)";

const COMMANDS: [&str; 10] = [
    ":threads", ":time", ":bench", ":vars", ":del", ":ast", ":ir", ":clif", ":help", ":quit",
];
pub const CONSTRUCTORS: [&str; 10] = [
    "zeros", "ones", "full", "arange", "linspace", "random", "eye", "load", "astype", "reshape",
];
/// Names the language reserves; they cannot be assigned.
const KEYWORDS: [&str; 10] = [
    "True", "False", "and", "or", "not", "is", "in", "if", "else", "lambda",
];

/// What the caller should do after an input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    /// Read the next input.
    Continue,
    /// `:quit` was given.
    Quit,
}

/// An error located in the input: a message and the byte span it is about.
#[derive(Clone, Debug, PartialEq)]
pub struct Failure {
    message: String,
    span: Option<(usize, usize)>,
}

impl Failure {
    pub fn at(message: impl Into<String>, span: (usize, usize)) -> Failure {
        Failure {
            message: message.into(),
            span: Some(span),
        }
    }

    pub fn plain(message: impl Into<String>) -> Failure {
        Failure {
            message: message.into(),
            span: None,
        }
    }

    /// An engine error about text that starts at `offset` in the input.
    fn engine(e: &numjit::Error, offset: usize) -> Failure {
        Failure {
            message: e.message().to_string(),
            span: e.span().map(|s| (s.start + offset, s.end + offset)),
        }
    }

    /// The error the way numjit displays its own: the message, then the input with a caret
    /// under the span.
    pub fn render(&self, src: &str) -> String {
        let mut text = format!("error: {}", self.message);
        let Some((start, end)) = self.span else {
            return text;
        };
        if src.trim().is_empty() {
            return text;
        }
        let floor = |mut i: usize| {
            i = i.min(src.len());
            while !src.is_char_boundary(i) {
                i -= 1;
            }
            i
        };
        let start = floor(start);
        let end = floor(end.max(start));
        let line_start = src[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = src[start..].find('\n').map_or(src.len(), |i| start + i);
        let line = &src[line_start..line_end];
        let line_no = src[..line_start].matches('\n').count() + 1;
        let prefix = if src.trim_end().contains('\n') {
            format!("{line_no} | ")
        } else {
            "  ".to_string()
        };
        let pad = src[line_start..start].chars().count() + prefix.chars().count();
        let width = src[start..end.min(line_end)].chars().count().max(1);
        text.push_str(&format!(
            "\n{prefix}{line}\n{}{}",
            " ".repeat(pad),
            "^".repeat(width)
        ));
        text
    }
}

pub type Res<T> = Result<T, Failure>;

/// A REPL session: the named arrays and the state of unseeded `random(...)`.
pub struct Session {
    env: BTreeMap<String, Array>,
    rng: SplitMix64,
    budget: Duration,
    max_elements: usize,
    /// Tripped (by Ctrl-C) to stop the statement running; reset when a line starts.
    interrupt: Interrupt,
    /// The changes of the line running, undone if it fails.
    journal: Vec<Change>,
}

/// One change a line made to the session, and what undoes it.
enum Change {
    /// `name` was bound, rebound or deleted; it held this before (`None`: unbound).
    Bound(String, Option<Array>),
    /// The in-place write `target = ...` (its text, e.g. `x[1:3]`) was about to run over
    /// these elements.
    Written(String, Array),
}

impl Default for Session {
    fn default() -> Self {
        Session::new()
    }
}

impl Session {
    /// An empty session.
    pub fn new() -> Session {
        Session {
            env: BTreeMap::new(),
            rng: SplitMix64::new(0),
            budget: bench::DEFAULT_BUDGET,
            max_elements: isize::MAX as usize / 8,
            interrupt: Interrupt::new(),
            journal: Vec::new(),
        }
    }

    /// The handle that stops the statement running (trip it from a signal handler or another
    /// thread); the session resets it when a line starts.
    pub fn interrupt(&self) -> Interrupt {
        self.interrupt.clone()
    }

    /// The schedule engine calls run on: numjit's pool, stopped by the session's interrupt.
    fn schedule(&self) -> Schedule {
        Schedule::default().with_interrupt(&self.interrupt)
    }

    /// Binds `name` to `a`, journalling what it held.
    fn bind(&mut self, name: String, a: Array) {
        let old = self.env.insert(name.clone(), a);
        self.journal.push(Change::Bound(name, old));
    }

    /// Undoes the journal, last change first.
    fn undo(&mut self) {
        while let Some(change) = self.journal.pop() {
            match change {
                Change::Bound(name, Some(a)) => {
                    self.env.insert(name, a);
                }
                Change::Bound(name, None) => {
                    self.env.remove(&name);
                }
                Change::Written(target, saved) => {
                    // Same dtype and shape as the target: an exact copy back, not
                    // interruptible, that allocates no array. The saved
                    // elements are bound last, so no session name shadows them.
                    let mut vars = Vars::new();
                    for (name, a) in self.env.iter_mut() {
                        vars = vars.bind_mut(name.as_str(), a);
                    }
                    let vars = vars.bind("__numjit_saved__", &saved);
                    let _ = numjit::execute(&format!("{target} = __numjit_saved__"), vars);
                }
            }
        }
    }

    /// Limits the arrays constructors make to `n` elements (the fuzz tests use a small one).
    #[allow(dead_code)] // used by tests/it/repl.rs
    pub fn with_max_elements(mut self, n: usize) -> Session {
        self.max_elements = n;
        self
    }

    fn check_size(&self, shape: &[usize]) -> Res<()> {
        let n = shape.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d));
        match n {
            Some(n) if n <= self.max_elements => Ok(()),
            _ => Err(Failure::plain(format!(
                "an array of shape {} is too large (the limit is {} elements)",
                shape_repr(shape),
                self.max_elements
            ))),
        }
    }

    /// Sets the measuring time of `:time` and of each `:bench` point (tests use a short one).
    #[allow(dead_code)] // used by tests/it/repl.rs
    pub fn with_budget(mut self, budget: Duration) -> Session {
        self.budget = budget;
        self
    }

    /// The session's names and arrays.
    #[allow(dead_code)] // used by tests/it/repl.rs
    pub fn env(&self) -> &BTreeMap<String, Array> {
        &self.env
    }

    /// The names sorted, for completion.
    pub fn names(&self) -> Vec<String> {
        self.env.keys().cloned().collect()
    }

    /// Handles one input (one or more statements), writing results to `out`. Stops at the
    /// first failing statement and returns its error rendered with a caret under `input`.
    ///
    /// A line that fails, or is interrupted, changes nothing: the session's arrays are
    /// restored to what they were before the line (`x = 1; y =` leaves no `x`; an interrupted
    /// `x[:5] = ...` leaves `x` as it was).
    pub fn handle(&mut self, input: &str, out: &mut dyn Write) -> Result<Flow, String> {
        self.interrupt.reset();
        self.journal.clear();
        let src = preprocess(input);
        let stmts = statements(&src);
        for (s, e) in stmts {
            let done = if self.interrupt.is_tripped() {
                Err(Failure::plain("interrupted"))
            } else {
                self.statement(&src, s, e, out)
            };
            match done {
                Ok(Flow::Continue) => {}
                Ok(Flow::Quit) => return Ok(Flow::Quit),
                Err(f) => {
                    self.undo();
                    return Err(f.render(input));
                }
            }
        }
        self.journal.clear();
        let _ = out.flush();
        Ok(Flow::Continue)
    }

    fn vars(&self) -> Vars<'_> {
        self.env
            .iter()
            .fold(Vars::new(), |v, (name, a)| v.bind(name.as_str(), a))
    }

    fn statement(&mut self, src: &str, s: usize, e: usize, out: &mut dyn Write) -> Res<Flow> {
        let text = &src[s..e];
        if text.starts_with(':') {
            return self.command(src, s, e, out);
        }
        // Python's ways out, unless the session has an array of that name.
        if let Some(word) = ["quit", "exit", "quit()", "exit()"]
            .into_iter()
            .find(|w| text == *w)
        {
            if !self.env.contains_key(word.trim_end_matches("()")) {
                return Ok(Flow::Quit);
            }
        }
        if let Some(call) = parse_call(src, s, e) {
            if call.name == "save" {
                self.save(src, &call)?;
                return Ok(Flow::Continue);
            }
            if CONSTRUCTORS.contains(&call.name.as_str()) {
                let a = self.construct(src, &call)?;
                let _ = writeln!(out, "{}", repr(&a));
                return Ok(Flow::Continue);
            }
        }
        if let Some(eq) = find_assign(src, s, e) {
            let (ls, le) = trim(src, s, eq);
            let (rs, re) = trim(src, eq + 1, e);
            let lhs = &src[ls..le];
            if is_identifier(lhs) {
                if KEYWORDS.contains(&lhs) {
                    return Err(Failure::at(format!("cannot assign to `{lhs}`"), (ls, le)));
                }
                if rs == re {
                    return Err(Failure::at("expected a value after `=`", (eq, eq + 1)));
                }
                if let Some(call) = parse_call(src, rs, re) {
                    if CONSTRUCTORS.contains(&call.name.as_str()) {
                        let a = self.construct(src, &call)?;
                        self.bind(lhs.to_string(), a);
                        return Ok(Flow::Continue);
                    }
                }
            }
        }
        if let Some((name, attr)) = text.split_once('.') {
            let (name, attr) = (name.trim_end(), attr.trim_start());
            if is_identifier(name) && is_identifier(attr) {
                return self
                    .attribute(name, attr, (s, e), out)
                    .map(|_| Flow::Continue);
            }
        }
        // Constructors inside an expression (`x = 2*random(3, seed=1) - 1`) are evaluated
        // first and replaced by names of the same length, so that error spans still point
        // into the input.
        let (text, temps) = self.substitute_constructors(src, s, e)?;
        self.engine(&text, s, &temps, out).map_err(|mut f| {
            for (name, _, call) in &temps {
                f.message = f.message.replace(name.as_str(), call);
            }
            f
        })?;
        Ok(Flow::Continue)
    }

    /// A statement for the engine ([`numjit::execute`]): `name = expr` binds a new array,
    /// `x[...] = expr` writes into a session array in place, a bare expression prints. Every
    /// session array is bound writably, `temps` read-only; the new arrays come back in the
    /// outputs. `offset` is where `stmt` starts in the input.
    fn engine(
        &mut self,
        stmt: &str,
        offset: usize,
        temps: &[(String, Array, String)],
        out: &mut dyn Write,
    ) -> Res<()> {
        let script = numjit::compile_script(stmt).map_err(|err| Failure::engine(&err, offset))?;
        if let Some(target) = write_target(stmt) {
            self.save_target(target, temps);
        }
        let sched = self.schedule();
        let outputs = {
            let mut vars = Vars::new();
            for (name, a) in self.env.iter_mut() {
                vars = vars.bind_mut(name.as_str(), a);
            }
            for (name, a, _) in temps {
                vars = vars.bind(name.as_str(), a);
            }
            script
                .execute_with(vars, &sched)
                .map_err(|err| Failure::engine(&err, offset))?
        };
        let shown = outputs.value().map(repr);
        for (name, a) in outputs.into_vec() {
            self.bind(name, a);
        }
        if let Some(text) = shown {
            let _ = writeln!(out, "{text}");
        }
        Ok(())
    }

    /// Journals the elements the in-place write to `target` (`x[1:3]`) is about to change: the
    /// target read as an expression, in the session as it is now. A target that cannot be
    /// read is refused by the write itself before anything is written.
    fn save_target(&mut self, target: &str, temps: &[(String, Array, String)]) {
        let vars = temps
            .iter()
            .fold(self.vars(), |v, (name, a, _)| v.bind(name.as_str(), a));
        if let Ok(saved) = numjit::eval(target, vars) {
            self.journal
                .push(Change::Written(target.to_string(), saved));
        }
    }

    fn attribute(
        &self,
        name: &str,
        attr: &str,
        span: (usize, usize),
        out: &mut dyn Write,
    ) -> Res<()> {
        let a = self
            .env
            .get(name)
            .ok_or_else(|| Failure::at(format!("unknown name `{name}`"), span))?;
        let text = match attr {
            "shape" => shape_repr(a.shape()),
            "dtype" => format!("dtype('{}')", a.dtype()),
            "ndim" => a.shape().len().to_string(),
            "size" => a.len().to_string(),
            "nbytes" => (a.len() * a.dtype().size()).to_string(),
            _ => {
                return Err(Failure::at(
                    format!(
                    "unknown attribute `{attr}`; arrays have shape, dtype, ndim, size and nbytes"
                ),
                    span,
                ))
            }
        };
        let _ = writeln!(out, "{text}");
        Ok(())
    }

    fn command(&mut self, src: &str, s: usize, e: usize, out: &mut dyn Write) -> Res<Flow> {
        let text = &src[s..e];
        let name_end = text.find(|c: char| c.is_whitespace()).map_or(e, |i| s + i);
        let name = &src[s..name_end];
        let (as_, ae) = trim(src, name_end, e);
        let arg = &src[as_..ae];
        let need_expr = |what: &str| -> Res<()> {
            if arg.is_empty() {
                Err(Failure::at(
                    format!("{name} needs an expression, e.g. `{name} {what}`"),
                    (s, name_end),
                ))
            } else {
                Ok(())
            }
        };
        match name {
            ":quit" | ":q" | ":exit" => return Ok(Flow::Quit),
            ":help" | ":h" | ":?" => {
                let _ = writeln!(out, "{HELP}");
            }
            ":threads" => {
                if arg.is_empty() {
                    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
                    let _ = writeln!(out, "{} threads ({cores} cores)", numjit::num_threads());
                } else {
                    let n = arg
                        .replace('_', "")
                        .parse::<usize>()
                        .ok()
                        .filter(|n| (1..=bench::MAX_THREADS).contains(n))
                        .ok_or_else(|| {
                            Failure::at(
                                format!(
                                    "expected a number of threads from 1 to {}",
                                    bench::MAX_THREADS
                                ),
                                (as_, ae),
                            )
                        })?;
                    let old = numjit::set_num_threads(n);
                    let _ = writeln!(out, "{} (was {old})", threads(n));
                }
            }
            ":vars" => self.list_vars(out),
            ":del" => {
                let names: Vec<&str> = arg.split_whitespace().collect();
                if names.is_empty() {
                    return Err(Failure::at(":del needs names, e.g. `:del a b`", (s, e)));
                }
                for n in &names {
                    if !self.env.contains_key(*n) {
                        return Err(Failure::at(format!("unknown name `{n}`"), (as_, ae)));
                    }
                }
                for n in names {
                    if let Some(a) = self.env.remove(n) {
                        self.journal.push(Change::Bound(n.to_string(), Some(a)));
                    }
                }
            }
            ":ast" => {
                need_expr("a + b*c")?;
                let ast =
                    numjit::internals::syntax::parse(arg).map_err(|e| Failure::engine(&e, as_))?;
                let _ = writeln!(out, "{ast}");
            }
            ":ir" | ":clif" => {
                need_expr("a*b + 1")?;
                let c = numjit::compile(arg).map_err(|e| Failure::engine(&e, as_))?;
                let text = if name == ":ir" {
                    c.program(self.vars()).map(|p| p.to_string())
                } else {
                    c.clif(self.vars())
                };
                let text = text.map_err(|e| Failure::engine(&e, as_))?;
                let _ = writeln!(out, "{}", text.trim_end());
            }
            ":time" => {
                need_expr("a**2 + b**2")?;
                self.time(arg, as_, out)?;
            }
            ":bench" => {
                need_expr("a**2 + b**2 --n 1000,1000000")?;
                self.bench(src, as_, ae, out)?;
            }
            _ => {
                let hint = COMMANDS
                    .iter()
                    .find(|c| c.starts_with(name) || name.starts_with(**c))
                    .map_or(String::new(), |c| format!("; did you mean `{c}`?"));
                return Err(Failure::at(
                    format!("unknown command `{name}`{hint} (:help lists them)"),
                    (s, name_end),
                ));
            }
        }
        Ok(Flow::Continue)
    }

    fn list_vars(&self, out: &mut dyn Write) {
        if self.env.is_empty() {
            let _ = writeln!(out, "no names yet; try `a = linspace(0, 1, 1_000_000)`");
            return;
        }
        let rows: Vec<[String; 4]> = self
            .env
            .iter()
            .map(|(n, a)| {
                [
                    n.clone(),
                    a.dtype().to_string(),
                    shape_repr(a.shape()),
                    human_bytes(a.len() * a.dtype().size()),
                ]
            })
            .collect();
        let header = ["name", "dtype", "shape", "bytes"];
        let mut w = header.map(|h| h.chars().count());
        for r in &rows {
            for (i, c) in r.iter().enumerate() {
                w[i] = w[i].max(c.chars().count());
            }
        }
        let _ = writeln!(
            out,
            "{:<w0$}  {:<w1$}  {:<w2$}  {:>w3$}",
            header[0],
            header[1],
            header[2],
            header[3],
            w0 = w[0],
            w1 = w[1],
            w2 = w[2],
            w3 = w[3]
        );
        for r in rows {
            let _ = writeln!(
                out,
                "{:<w0$}  {:<w1$}  {:<w2$}  {:>w3$}",
                r[0],
                r[1],
                r[2],
                r[3],
                w0 = w[0],
                w1 = w[1],
                w2 = w[2],
                w3 = w[3]
            );
        }
    }

    fn time(&self, expr: &str, offset: usize, out: &mut dyn Write) -> Res<()> {
        let c = numjit::compile(expr).map_err(|e| Failure::engine(&e, offset))?;
        let mut result = c
            .eval_with(self.vars(), &self.schedule())
            .map_err(|e| Failure::engine(&e, offset))?;
        let n = result.len();
        let bytes: usize = bench::free_names(expr)
            .iter()
            .filter_map(|name| self.env.get(name))
            .map(|a| a.len() * a.dtype().size())
            .sum::<usize>()
            + n * result.dtype().size();
        let sched = self.schedule();
        let mut call = || c.evaluate_with(&mut result, self.vars(), &sched);
        let t = bench::measure(&mut call, self.budget).map_err(|e| Failure::engine(&e, offset))?;
        let _ = writeln!(
            out,
            "{} per call, {} ns per element, {} GB/s  ({n} elements, {}, median of {} calls)",
            human_time(t.median),
            bench::sig(t.median * 1e9 / n.max(1) as f64),
            bench::sig(bytes as f64 / t.median / 1e9),
            threads(numjit::num_threads()),
            t.calls
        );
        Ok(())
    }

    fn bench(&self, src: &str, s: usize, e: usize, out: &mut dyn Write) -> Res<()> {
        // EXPR runs up to the first option; it may be quoted.
        let text = &src[s..e];
        let opt_start = option_start(text).map_or(e, |i| s + i);
        let (mut xs, mut xe) = trim(src, s, opt_start);
        let quoted = &src[xs..xe];
        if quoted.len() >= 2
            && (quoted.starts_with('"') && quoted.ends_with('"')
                || quoted.starts_with('\'') && quoted.ends_with('\''))
        {
            xs += 1;
            xe -= 1;
        }
        let mut args = vec![src[xs..xe].to_string()];
        args.extend(
            src[opt_start..e]
                .split_whitespace()
                .map(|w| w.trim_matches(|c| c == '"' || c == '\'').to_string()),
        );
        let mut opts = bench::parse_args(&args).map_err(|m| Failure::at(m, (s, e)))?;
        if !args[1..].iter().any(|a| a.starts_with("--ms")) {
            opts.budget = self.budget;
        }
        match bench::run(&opts, Some(&self.env), out) {
            Ok(_) => Ok(()),
            Err(bench::BenchError::Engine(err)) => Err(Failure::engine(&err, xs)),
            Err(bench::BenchError::Other(m)) => Err(Failure::plain(m)),
        }
    }

    fn save(&self, src: &str, call: &Call) -> Res<()> {
        let (path, value) = match call.args.as_slice() {
            [p, v] if p.key.is_none() && v.key.is_none() => (p, v),
            _ => {
                return Err(Failure::at(
                    "save takes a file name and a value: save(\"x.npy\", x)",
                    call.span,
                ))
            }
        };
        let path = string_arg(src, path.value)?;
        let (vs, ve) = value.value;
        let text = &src[vs..ve];
        let computed;
        let array = match self.env.get(text) {
            Some(a) => a,
            None => {
                computed = numjit::compile(text)
                    .and_then(|c| c.eval_with(self.vars(), &self.schedule()))
                    .map_err(|e| Failure::engine(&e, vs))?;
                &computed
            }
        };
        npy::write(Path::new(&path), array).map_err(|e| Failure::plain(e.to_string()))
    }

    /// `src[s..e]` with each constructor call in it (`random(3, seed=1)`) evaluated and
    /// replaced by a name of the same length, so that error spans still point into the input;
    /// returns the text and, per call, its name, value and original text (to put back into
    /// error messages).
    #[allow(clippy::type_complexity)]
    fn substitute_constructors(
        &mut self,
        src: &str,
        s: usize,
        e: usize,
    ) -> Res<(String, Vec<(String, Array, String)>)> {
        let mut text = src[s..e].to_string();
        let mut temps: Vec<(String, Array, String)> = Vec::new();
        for (cs, ce) in constructor_calls(src, s, e) {
            let Some(call) = parse_call(src, cs, ce) else {
                continue;
            };
            let a = self.construct(src, &call)?;
            let name = format!("__{}", temps.len());
            let name = format!("{name:_<width$}", width = ce - cs);
            text.replace_range(cs - s..ce - s, &name);
            temps.push((name, a, src[cs..ce].to_string()));
        }
        Ok((text, temps))
    }

    /// The value of the expression `src[s..e]`, constructors inside it included
    /// (`astype(2*random(3), float32)`).
    fn evaluate(&mut self, src: &str, s: usize, e: usize) -> Res<Array> {
        let (text, temps) = self.substitute_constructors(src, s, e)?;
        let vars = temps
            .iter()
            .fold(self.vars(), |v, (name, a, _)| v.bind(name.as_str(), a));
        numjit::compile(&text)
            .and_then(|c| c.eval_with(vars, &self.schedule()))
            .map_err(|err| {
                let mut f = Failure::engine(&err, s);
                for (name, _, call) in &temps {
                    f.message = f.message.replace(name.as_str(), call);
                }
                f
            })
    }

    /// A number: the value of the expression `src[span]`, which must be a scalar.
    fn number(&self, src: &str, (s, e): (usize, usize)) -> Res<Num> {
        let (s, e) = trim(src, s, e);
        if s == e {
            return Err(Failure::at("expected a number", (s, e.max(s + 1))));
        }
        let a =
            numjit::interpret(&src[s..e], self.vars()).map_err(|err| Failure::engine(&err, s))?;
        if !a.shape().is_empty() {
            return Err(Failure::at(
                format!(
                    "expected a number, got an array of shape {}",
                    shape_repr(a.shape())
                ),
                (s, e),
            ));
        }
        Num::of(&a).ok_or_else(|| Failure::at("expected a number", (s, e)))
    }

    /// An integer argument (an integral float is accepted).
    fn integer(&self, src: &str, span: (usize, usize), what: &str) -> Res<i64> {
        let (s, e) = trim(src, span.0, span.1);
        match self.number(src, span)? {
            Num::Int(v) => Ok(v),
            Num::Int32(v) => Ok(i64::from(v)),
            Num::Float(v) if v.fract() == 0.0 && v.abs() < 9.0e18 => Ok(v as i64),
            Num::Float32(v) if v.fract() == 0.0 && v.abs() < 9.0e18 => Ok(v as i64),
            other => Err(Failure::at(
                format!("{what} must be an integer, not {}", other.describe()),
                (s, e),
            )),
        }
    }

    /// A length along an axis.
    fn extent(&self, src: &str, span: (usize, usize)) -> Res<usize> {
        let v = self.integer(src, span, "a dimension")?;
        let (s, e) = trim(src, span.0, span.1);
        usize::try_from(v)
            .map_err(|_| Failure::at(format!("a dimension must not be negative, got {v}"), (s, e)))
    }

    /// The shape given by positional arguments: `3, 4`, a tuple `(3, 4)`, or `x.shape`.
    fn shape(&self, src: &str, args: &[(usize, usize)]) -> Res<Vec<usize>> {
        self.dims(src, args, &|p| self.extent(src, p))
    }

    /// [`Session::shape`] with each length read by `dim` (`reshape`'s may be negative).
    fn dims<T: TryFrom<usize>>(
        &self,
        src: &str,
        args: &[(usize, usize)],
        dim: &dyn Fn((usize, usize)) -> Res<T>,
    ) -> Res<Vec<T>> {
        if let [one] = args {
            let (s, e) = trim(src, one.0, one.1);
            let text = &src[s..e];
            if let Some(name) = text.strip_suffix(".shape") {
                let name = name.trim_end();
                if let Some(a) = self.env.get(name) {
                    return a
                        .shape()
                        .iter()
                        .map(|&d| T::try_from(d).map_err(|_| Failure::at("too large", (s, e))))
                        .collect();
                }
                return Err(Failure::at(format!("unknown name `{name}`"), (s, e)));
            }
            if text.starts_with('(') && matching_close(src, s, e) == Some(e - 1) {
                let parts = split_top(src, s + 1, e - 1, b',');
                if parts.len() > 1 || trim(src, s + 1, e - 1).0 == e - 1 {
                    let parts: Vec<_> = parts
                        .into_iter()
                        .filter(|&(a, b)| trim(src, a, b).0 != trim(src, a, b).1)
                        .collect();
                    return parts.iter().map(|&p| dim(p)).collect();
                }
            }
        }
        args.iter().map(|&p| dim(p)).collect()
    }

    fn construct(&mut self, src: &str, call: &Call) -> Res<Array> {
        let keys: &[&str] = match call.name.as_str() {
            "zeros" | "ones" | "full" | "arange" | "astype" => &["dtype"],
            "linspace" => &["num", "endpoint", "dtype"],
            "random" => &["seed", "dtype"],
            "eye" => &["M", "k", "dtype"],
            _ => &[],
        };
        let mut positional = Vec::new();
        let mut kw: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
        for a in &call.args {
            match &a.key {
                None if !kw.is_empty() => {
                    return Err(Failure::at(
                        "positional argument after a keyword argument",
                        a.value,
                    ))
                }
                None => positional.push(a.value),
                Some((k, kspan)) => {
                    if !keys.contains(&k.as_str()) {
                        let takes = if keys.is_empty() {
                            "no keyword arguments".to_string()
                        } else {
                            keys.join(", ")
                        };
                        return Err(Failure::at(
                            format!("`{}` has no argument `{k}` (it takes {takes})", call.name),
                            *kspan,
                        ));
                    }
                    let key = keys.iter().find(|x| **x == k).copied().unwrap_or_default();
                    if kw.insert(key, a.value).is_some() {
                        return Err(Failure::at(format!("`{k}` given twice"), *kspan));
                    }
                }
            }
        }
        // `astype(x, float32)` takes its dtype positionally too.
        if call.name == "astype" && positional.len() == 2 && !kw.contains_key("dtype") {
            if let Some(p) = positional.pop() {
                kw.insert("dtype", p);
            }
        }
        let dtype = match kw.get("dtype") {
            Some(&(s, e)) => {
                let (s, e) = trim(src, s, e);
                Some(bench::parse_dtype(&src[s..e]).ok_or_else(|| {
                    Failure::at(format!("dtype must be one of {}", bench::DTYPES), (s, e))
                })?)
            }
            None => None,
        };
        let arity = |lo: usize, hi: usize, usage: &str| -> Res<()> {
            if positional.len() < lo || positional.len() > hi {
                Err(Failure::at(format!("usage: {usage}"), call.span))
            } else {
                Ok(())
            }
        };
        match call.name.as_str() {
            "zeros" | "ones" => {
                let shape = self.shape(src, &positional)?;
                self.check_size(&shape)?;
                let one = call.name == "ones";
                let dtype = dtype.unwrap_or(DType::Float64);
                fill(&shape, dtype, if one { Num::Int(1) } else { Num::Int(0) })
            }
            "full" => {
                arity(
                    2,
                    usize::MAX,
                    "full(shape..., fill_value), e.g. full(3, 4, 2.5)",
                )?;
                let (last, dims) = positional.split_last().unwrap_or((&call.span, &[]));
                let shape = self.shape(src, dims)?;
                self.check_size(&shape)?;
                let value = self.number(src, *last)?;
                let dtype = dtype.unwrap_or(value.dtype());
                fill(&shape, dtype, value)
            }
            "arange" => {
                arity(1, 3, "arange([start,] stop[, step])")?;
                let nums = positional
                    .iter()
                    .map(|&p| self.number(src, p))
                    .collect::<Res<Vec<Num>>>()?;
                arange(&nums, dtype, call.span, self.max_elements)
            }
            "linspace" => {
                arity(2, 3, "linspace(start, stop, num=50, endpoint=True)")?;
                let real = |p: (usize, usize)| -> Res<f64> {
                    let v = self.number(src, p)?;
                    v.real().ok_or_else(|| {
                        Failure::at(
                            format!("linspace needs real bounds, not {}", v.describe()),
                            trim(src, p.0, p.1),
                        )
                    })
                };
                let start = real(positional[0])?;
                let stop = real(positional[1])?;
                let num = match (positional.get(2), kw.get("num")) {
                    (Some(_), Some(&span)) => return Err(Failure::at("`num` given twice", span)),
                    (Some(&p), None) | (None, Some(&p)) => self.extent(src, p)?,
                    (None, None) => 50,
                };
                self.check_size(&[num])?;
                let endpoint = match kw.get("endpoint") {
                    Some(&p) => match self.number(src, p)? {
                        Num::Bool(b) => b,
                        other => {
                            return Err(Failure::at(
                                format!("endpoint must be True or False, not {}", other.describe()),
                                p,
                            ))
                        }
                    },
                    None => true,
                };
                linspace(start, stop, num, endpoint, dtype.unwrap_or(DType::Float64))
            }
            "random" => {
                let shape = self.shape(src, &positional)?;
                self.check_size(&shape)?;
                let mut g = match kw.get("seed") {
                    Some(&p) => {
                        let seed = self.integer(src, p, "seed")?;
                        SplitMix64::new(seed as u64)
                    }
                    None => SplitMix64::new(self.rng.next_u64()),
                };
                match dtype.unwrap_or(DType::Float64) {
                    DType::Float64 => {
                        let n = elements(&shape, 8)?;
                        shaped(&shape, vec_with(n, || g.next_f64())?)
                    }
                    DType::Float32 => {
                        let n = elements(&shape, 4)?;
                        shaped(&shape, vec_with(n, || g.next_f32())?)
                    }
                    other => Err(Failure::at(
                        format!(
                            "random makes float64 or float32 arrays (as NumPy's \
                             Generator.random), not {other}"
                        ),
                        kw.get("dtype").copied().unwrap_or(call.span),
                    )),
                }
            }
            "eye" => {
                arity(1, 2, "eye(N, M=None, k=0, dtype=float64)")?;
                let n = self.extent(src, positional[0])?;
                let m = match (positional.get(1), kw.get("M")) {
                    (Some(_), Some(&span)) => return Err(Failure::at("`M` given twice", span)),
                    (Some(&p), None) | (None, Some(&p)) => self.extent(src, p)?,
                    (None, None) => n,
                };
                let k = match kw.get("k") {
                    Some(&p) => self.integer(src, p, "k")?,
                    None => 0,
                };
                self.check_size(&[n, m])?;
                let mut a = fill(&[n, m], dtype.unwrap_or(DType::Float64), Num::Int(0))?;
                // Row i has its one at column i + k, for the rows where that is a column.
                let k = k as i128;
                let rows = (-k).max(0)..(n as i128).min(m as i128 - k).max(0);
                for i in rows {
                    set_one(&mut a, &[i as usize, (i + k) as usize]);
                }
                Ok(a)
            }
            "reshape" => {
                let usage = "reshape(x, 3, 4), reshape(x, (3, 4)) or x.reshape(3, 4)";
                if positional.len() < 2 {
                    return Err(Failure::at(format!("usage: {usage}"), call.span));
                }
                let (vs, ve) = trim(src, positional[0].0, positional[0].1);
                let a = match self.env.get(&src[vs..ve]) {
                    Some(a) => a.clone(),
                    None => self.evaluate(src, vs, ve)?,
                };
                let dims = self.dims(src, &positional[1..], &|p| {
                    self.integer(src, p, "a dimension")
                })?;
                let shape = reshaped(a.len(), &dims).map_err(|m| Failure::at(m, call.span))?;
                self.check_size(&shape)?;
                // C order, as NumPy's default.
                Ok(numjit::each_array!(a, x => {
                    let v: Vec<_> = x.iter().copied().collect();
                    ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&shape), v)
                        .expect("the sizes match")
                        .into()
                }))
            }
            "astype" => {
                arity(
                    1,
                    1,
                    "astype(x, dtype), e.g. astype(x, float32) or x.astype(float32)",
                )?;
                let dtype = dtype.ok_or_else(|| {
                    Failure::at(
                        "usage: astype(x, dtype), e.g. astype(x, float32) or x.astype(float32)",
                        call.span,
                    )
                })?;
                let (vs, ve) = trim(src, positional[0].0, positional[0].1);
                let a = match self.env.get(&src[vs..ve]) {
                    Some(a) => a.clone(),
                    None => self.evaluate(src, vs, ve)?,
                };
                cast(a, dtype)
            }
            "load" => {
                arity(1, 1, "load(\"file.npy\")")?;
                let path = string_arg(src, positional[0])?;
                npy::read(Path::new(&path)).map_err(|e| Failure::at(e.to_string(), call.span))
            }
            _ => Err(Failure::at("unknown constructor", call.name_span)),
        }
    }
}

/// The target of `stmt` if it is an in-place write (`x[1:3] = ...`): the text left of its
/// `=`, trimmed.
fn write_target(stmt: &str) -> Option<&str> {
    let eq = find_assign(stmt, 0, stmt.len())?;
    let (s, e) = trim(stmt, 0, eq);
    let lhs = &stmt[s..e];
    (!is_identifier(lhs) && lhs.ends_with(']')).then_some(lhs)
}

/// The shape `dims` asks `reshape` for an array of `n` elements, by NumPy's rules: one
/// negative length (NumPy takes any, as `-1`) is inferred from the others; otherwise the
/// lengths must multiply to `n`. Errors are NumPy's messages.
fn reshaped(n: usize, dims: &[i64]) -> Result<Vec<usize>, String> {
    let unknown: Vec<usize> = (0..dims.len()).filter(|&k| dims[k] < 0).collect();
    if unknown.len() > 1 {
        return Err("can only specify one unknown dimension".to_string());
    }
    // NumPy's way of writing the asked shape: `(4,2)`, `(4,newaxis)`, `(6,)`.
    let asked = || {
        let parts: Vec<String> = dims
            .iter()
            .map(|&d| {
                if d < 0 {
                    "newaxis".to_string()
                } else {
                    d.to_string()
                }
            })
            .collect();
        match parts.as_slice() {
            [one] => format!("({one},)"),
            _ => format!("({})", parts.join(",")),
        }
    };
    let mismatch = || format!("cannot reshape array of size {n} into shape {}", asked());
    let known = dims
        .iter()
        .filter(|&&d| d >= 0)
        .try_fold(1usize, |acc, &d| acc.checked_mul(d as usize));
    let mut shape: Vec<usize> = dims.iter().map(|&d| d.max(0) as usize).collect();
    match (unknown.first(), known) {
        (Some(&k), Some(known)) if known != 0 && n.is_multiple_of(known) => shape[k] = n / known,
        (None, Some(known)) if known == n => {}
        _ => return Err(mismatch()),
    }
    Ok(shape)
}

/// Python's repr of a shape tuple: `()`, `(3,)`, `(2, 3)`.
pub fn shape_repr(shape: &[usize]) -> String {
    match shape {
        [n] => format!("({n},)"),
        _ => format!(
            "({})",
            shape
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// "1 thread", "2 threads".
fn threads(n: usize) -> String {
    if n == 1 {
        "1 thread".to_string()
    } else {
        format!("{n} threads")
    }
}

pub fn human_bytes(n: usize) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

fn human_time(secs: f64) -> String {
    if secs < 1e-6 {
        format!("{:.1} ns", secs * 1e9)
    } else if secs < 1e-3 {
        format!("{:.2} µs", secs * 1e6)
    } else if secs < 1.0 {
        format!("{:.3} ms", secs * 1e3)
    } else {
        format!("{secs:.3} s")
    }
}

/// Where the history file lives: `$NUMJIT_HISTORY`, else `$XDG_DATA_HOME/numjit/history`, else
/// `$HOME/.local/share/numjit/history`. `var` looks up an environment variable.
pub fn history_path(var: impl Fn(&str) -> Option<OsString>) -> Option<PathBuf> {
    let set = |name: &str| var(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    if let Some(p) = set("NUMJIT_HISTORY") {
        return Some(p);
    }
    let base = set("XDG_DATA_HOME")
        .filter(|p| p.is_absolute())
        .or_else(|| set("HOME").map(|h| h.join(".local").join("share")))?;
    Some(base.join("numjit").join("history"))
}

/// Runs statements read from `input` (not a terminal): results to `out`, errors to `err`
/// prefixed with the line number. Returns how many inputs were read and whether all succeeded.
pub fn run_script(
    session: &mut Session,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> (usize, bool) {
    let mut ok = true;
    let mut pending = String::new();
    let mut first_line = 0;
    let mut line_no = 0;
    let mut read = 0;
    let mut buf = Vec::new();
    loop {
        buf.clear();
        let eof = match input.read_until(b'\n', &mut buf) {
            Ok(0) => true,
            Ok(_) => false,
            Err(e) => {
                let _ = writeln!(err, "error: reading input: {e}");
                ok = false;
                true
            }
        };
        if !eof {
            read += 1;
            line_no += 1;
            if pending.is_empty() {
                first_line = line_no;
            }
            pending.push_str(&String::from_utf8_lossy(&buf));
            if needs_more(&pending) {
                continue;
            }
        }
        if !pending.trim().is_empty() {
            let text = pending.trim_end_matches(['\n', '\r']);
            match session.handle(text, out) {
                Ok(Flow::Continue) => {}
                Ok(Flow::Quit) => return (read, ok),
                Err(msg) => {
                    ok = false;
                    let _ = out.flush();
                    let _ = writeln!(err, "line {first_line}: {msg}");
                }
            }
        }
        pending.clear();
        if eof {
            return (read, ok);
        }
    }
}

/// Line editing for the terminal: multi-line input while brackets are open, completion of
/// commands, constructors, functions and the session's names.
mod editor {
    use super::{COMMANDS, CONSTRUCTORS};
    use rustyline::completion::Completer;
    use rustyline::highlight::Highlighter;
    use rustyline::hint::Hinter;
    use rustyline::validate::{ValidationContext, ValidationResult, Validator};
    use rustyline::{Context, Helper};
    use std::cell::RefCell;
    use std::rc::Rc;

    /// The names completion offers as calls: the language's functions and reductions (from
    /// the library's tables), and `save`.
    fn functions() -> impl Iterator<Item = &'static str> {
        numjit::internals::Func::ALL
            .iter()
            .map(|f| f.name())
            .chain(
                numjit::internals::syntax::ast::ReduceOp::ALL
                    .iter()
                    .map(|r| r.name()),
            )
            .chain(["save"])
    }

    pub struct ReplHelper {
        pub names: Rc<RefCell<Vec<String>>>,
    }

    impl Completer for ReplHelper {
        type Candidate = String;

        fn complete(
            &self,
            line: &str,
            pos: usize,
            _ctx: &Context<'_>,
        ) -> rustyline::Result<(usize, Vec<String>)> {
            let before = &line[..pos];
            let start = before
                .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
                .map_or(0, |i| i + 1);
            let word = &before[start..];
            if word.is_empty() {
                return Ok((pos, Vec::new()));
            }
            let names = self.names.borrow();
            let mut found: Vec<String> = if word.starts_with(':') {
                COMMANDS.iter().map(|c| c.to_string()).collect()
            } else {
                CONSTRUCTORS
                    .iter()
                    .copied()
                    .chain(functions())
                    .map(|f| format!("{f}("))
                    .chain(names.iter().cloned())
                    .collect()
            };
            found.retain(|c| c.starts_with(word));
            found.sort();
            found.dedup();
            Ok((start, found))
        }
    }

    impl Hinter for ReplHelper {
        type Hint = String;
    }

    impl Highlighter for ReplHelper {}

    // Every line is accepted as typed; an open bracket or a trailing `\\` makes the loop in
    // `run_terminal` read the continuation with a `... ` prompt, as Python's REPL does.
    impl Validator for ReplHelper {
        fn validate(&self, _: &mut ValidationContext<'_>) -> rustyline::Result<ValidationResult> {
            Ok(ValidationResult::Valid(None))
        }
    }

    impl Helper for ReplHelper {}
}

/// The interactive loop on a terminal, with line editing and history. Returns the exit status
/// (0: left with `:quit` or Ctrl-D).
pub fn run_terminal(session: &mut Session) -> bool {
    use rustyline::error::ReadlineError;
    use rustyline::history::FileHistory;
    use rustyline::{Config, Editor};
    use std::cell::RefCell;
    use std::rc::Rc;

    let config = match Config::builder()
        .max_history_size(10_000)
        .and_then(|b| b.history_ignore_dups(true))
    {
        Ok(b) => b.history_ignore_space(true).auto_add_history(false).build(),
        Err(_) => Config::default(),
    };
    let mut rl: Editor<editor::ReplHelper, FileHistory> = match Editor::with_config(config) {
        Ok(rl) => rl,
        Err(e) => {
            eprintln!("numjit: cannot start the line editor: {e}");
            return false;
        }
    };
    let names = Rc::new(RefCell::new(session.names()));
    rl.set_helper(Some(editor::ReplHelper {
        names: names.clone(),
    }));
    let history = history_path(|v| std::env::var_os(v));
    if let Some(path) = &history {
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let _ = rl.load_history(path);
    }
    println!(
        "numjit {}: numexpr-style expressions compiled with Cranelift, {}.\n\
         Type :help for help, :quit or Ctrl-D to leave.",
        env!("CARGO_PKG_VERSION"),
        threads(numjit::num_threads())
    );
    // Ctrl-C while a statement runs arrives as SIGINT (the terminal is in cooked mode then):
    // it stops the statement, not the process. At the prompt the editor reads it as a key.
    let stop = session.interrupt();
    if let Err(e) = ctrlc::set_handler(move || stop.trip()) {
        eprintln!("numjit: cannot catch Ctrl-C ({e}); it will end the session");
    }
    let mut stdout = std::io::stdout();
    loop {
        match rl.readline(">>> ") {
            Ok(mut line) => {
                if line.trim().is_empty() {
                    continue;
                }
                // Continuation lines, until the statement is complete (Ctrl-C drops it,
                // Ctrl-D runs what there is).
                let mut dropped = false;
                while needs_more(&line) {
                    match rl.readline("... ") {
                        Ok(more) => {
                            line.push('\n');
                            line.push_str(&more);
                        }
                        Err(ReadlineError::Interrupted) => {
                            dropped = true;
                            break;
                        }
                        Err(_) => break,
                    }
                }
                if dropped {
                    continue;
                }
                let _ = rl.add_history_entry(line.as_str());
                if let Some(path) = &history {
                    let _ = save_history(&mut rl, path);
                }
                let flow = session.handle(&line, &mut stdout);
                *names.borrow_mut() = session.names();
                match flow {
                    Ok(Flow::Continue) => {}
                    Ok(Flow::Quit) => break,
                    // After the terminal's `^C`, on a line of its own.
                    Err(msg) if msg == "error: interrupted" => eprintln!("\n{msg}"),
                    Err(msg) => eprintln!("{msg}"),
                }
            }
            Err(ReadlineError::Interrupted) => continue,
            Err(ReadlineError::Eof) => break,
            Err(e) => {
                eprintln!("numjit: {e}");
                return false;
            }
        }
    }
    if let Some(path) = &history {
        if let Err(e) = save_history(&mut rl, path) {
            eprintln!("numjit: cannot save the history to {}: {e}", path.display());
        }
    }
    true
}

/// Writes the editor's history to `path`, creating its directory.
fn save_history<H: rustyline::Helper>(
    rl: &mut rustyline::Editor<H, rustyline::history::FileHistory>,
    path: &Path,
) -> Result<(), String> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    }
    rl.save_history(path).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(session: &mut Session, input: &str) -> Result<String, String> {
        let mut out = Vec::new();
        session.handle(input, &mut out)?;
        Ok(String::from_utf8(out).unwrap())
    }

    #[test]
    fn quit_and_exit_leave_unless_they_are_names() {
        for w in ["quit", "exit", "quit()", "exit()", "  exit  "] {
            let mut s = Session::new();
            assert_eq!(s.handle(w, &mut Vec::new()), Ok(Flow::Quit), "{w}");
        }
        let mut s = Session::new();
        run(&mut s, "exit = 3").unwrap();
        assert_eq!(run(&mut s, "exit").unwrap(), "array(3)\n");
    }

    #[test]
    fn reshape_makes_nd_arrays_in_c_order() {
        let mut s = Session::new();
        run(&mut s, "x = arange(6)").unwrap();
        let want = "array([[0, 1, 2],\n       [3, 4, 5]])\n";
        assert_eq!(run(&mut s, "reshape(x, 2, 3)").unwrap(), want);
        assert_eq!(run(&mut s, "reshape(x, (2, 3))").unwrap(), want);
        assert_eq!(run(&mut s, "x.reshape(2, 3)").unwrap(), want);
        run(&mut s, "m = x.reshape(3, 2); y = m * 10").unwrap();
        assert_eq!(run(&mut s, "y[2, 1]").unwrap(), "array(50)\n");
        let e = run(&mut s, "reshape(x, 4, 2)").unwrap_err();
        assert!(
            e.contains("cannot reshape array of size 6 into shape (4,2)"),
            "{e}"
        );
        // NumPy's rules and messages (NumPy 2.4: `np.arange(6).reshape(...)`).
        let ok = |dims: &[i64]| reshaped(6, dims);
        assert_eq!(ok(&[2, 3]), Ok(vec![2, 3]));
        assert_eq!(ok(&[-1, 2]), Ok(vec![3, 2]));
        assert_eq!(ok(&[-1]), Ok(vec![6]));
        assert_eq!(ok(&[-2, 3]), Ok(vec![2, 3]));
        assert_eq!(ok(&[1, -1, 1, 3]), Ok(vec![1, 2, 1, 3]));
        let no = |dims: &[i64]| reshaped(6, dims).unwrap_err();
        assert_eq!(
            no(&[4, 2]),
            "cannot reshape array of size 6 into shape (4,2)"
        );
        assert_eq!(no(&[4]), "cannot reshape array of size 6 into shape (4,)");
        assert_eq!(
            no(&[4, -1]),
            "cannot reshape array of size 6 into shape (4,newaxis)"
        );
        assert_eq!(
            no(&[0, -1]),
            "cannot reshape array of size 6 into shape (0,newaxis)"
        );
        assert_eq!(no(&[-1, -1]), "can only specify one unknown dimension");
        assert_eq!(no(&[]), "cannot reshape array of size 6 into shape ()");
        assert_eq!(reshaped(1, &[]), Ok(vec![]));
        assert_eq!(reshaped(0, &[-1, 5]), Ok(vec![0, 5]));
    }

    #[test]
    fn a_failing_line_binds_nothing() {
        let mut s = Session::new();
        run(&mut s, "y = 5").unwrap();
        assert!(run(&mut s, "x = 1; y = 2; z =").is_err());
        assert!(!s.env().contains_key("x"));
        assert_eq!(run(&mut s, "y").unwrap(), "array(5)\n");
        // In-place writes of the failed line are undone too.
        run(&mut s, "u = zeros(3)").unwrap();
        assert!(run(&mut s, "u[0] = 7; v = nosuch").is_err());
        assert_eq!(run(&mut s, "u").unwrap(), "array([0., 0., 0.])\n");
        // A line that succeeds keeps everything.
        run(&mut s, "x = 1; w = x + 1").unwrap();
        assert_eq!(run(&mut s, "w").unwrap(), "array(2)\n");
    }

    #[test]
    fn constructors() {
        let mut s = Session::new();
        assert_eq!(
            run(&mut s, "arange(5)").unwrap(),
            "array([0, 1, 2, 3, 4])\n"
        );
        assert_eq!(
            run(&mut s, "arange(0, 1, 0.25)").unwrap(),
            "array([0.  , 0.25, 0.5 , 0.75])\n"
        );
        assert_eq!(
            run(&mut s, "linspace(0, 1, 5)").unwrap(),
            "array([0.  , 0.25, 0.5 , 0.75, 1.  ])\n"
        );
        assert_eq!(
            run(&mut s, "eye(2, dtype=int64)").unwrap(),
            "array([[1, 0],\n       [0, 1]])\n"
        );
        assert_eq!(
            run(&mut s, "n = 2; full((n, 1), True)").unwrap(),
            "array([[ True],\n       [ True]])\n"
        );
        run(&mut s, "r = random(3, seed=1); q = random(3, seed=1)").unwrap();
        assert_eq!(s.env["r"], s.env["q"]);
        assert!(run(&mut s, "zeros(-1)").is_err());
        assert!(run(&mut s, "zeros(1e300)").is_err());
        assert!(run(&mut s, "zeros(99999999999, 99999999999)").is_err());
        assert!(run(&mut s, "arange(0, 1, 0)").is_err());
        assert!(run(&mut s, "zeros(3, dtypo=int64)").is_err());
    }

    #[test]
    fn history_locations() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| OsString::from(v))
            }
        };
        assert_eq!(
            history_path(env(&[("NUMJIT_HISTORY", "/x/h"), ("HOME", "/home/u")])),
            Some(PathBuf::from("/x/h"))
        );
        assert_eq!(
            history_path(env(&[("XDG_DATA_HOME", "/d"), ("HOME", "/home/u")])),
            Some(PathBuf::from("/d/numjit/history"))
        );
        assert_eq!(
            history_path(env(&[("XDG_DATA_HOME", "rel"), ("HOME", "/home/u")])),
            Some(PathBuf::from("/home/u/.local/share/numjit/history"))
        );
        assert_eq!(history_path(env(&[])), None);
    }
}
