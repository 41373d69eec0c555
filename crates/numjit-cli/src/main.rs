//! The `numjit` command-line tool: an interactive REPL, a thread-scaling benchmark, and
//! evaluation of one expression over `.npy` files and numbers.
//!
//! ```text
//! numjit                                     # the REPL (or a script on stdin)
//! numjit bench "a**2 + b**2 + 2*a*b" --n 1000,1000000
//! numjit eval "a**2 + b**2 + 2*a*b" a=a.npy b=b.npy -o c.npy
//! numjit eval "x * k + 1" x=x.npy k=2.5
//! ```
//!
//! Run `numjit --help` for the full usage.

mod cli;

use cli::{bench, repl};
use numjit::internals::repr;
use numjit::{npy, Array, Complex64, DType, Vars};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

const USAGE: &str = "\
Usage: numjit [repl]
       numjit eval EXPR [NAME=VALUE]... [-o OUT.npy] [--threads N]
       numjit bench EXPR [--n N,...] [--threads T,...] [--dtype D] [--json] [--plot FILE.png]
       numjit --help | --version";

macro_rules! eval_options {
    () => {
        "  NAME=VALUE          Bind NAME to VALUE: a .npy file or a number.
                      Numbers: 3 is an int64 scalar; 2.5, 1e-3, nan and inf
                      are float64; 2j, 1+2j, (1-2j) and inf+nanj are
                      complex128; True and False are bool. DTYPE:NUMBER
                      gives the number a dtype, as np.int32(3) does:
                      int32:3, float32:2.5, complex128:1, bool:True (DTYPE
                      is bool, int32, int64, float32, float64 or complex128).
                      Files hold arrays of those dtypes, of any rank, either
                      byte order, C or Fortran order; narrower dtypes are
                      widened as numexpr widens them (int8, int16, uint8 and
                      uint16 to int32, uint32 to int64, float16 to float32,
                      complex64 to complex128). Files of byte strings (S3)
                      are inputs to compare. Write ./3 for a file named 3.
                      Names EXPR does not use are ignored.
  -o, --output FILE   Write the result to FILE in .npy format instead of
                      printing it.
  --threads N         Evaluate on N threads.
  -h, --help          Print this help."
    };
}

macro_rules! bench_options {
    () => {
        "  --n N,...           Element counts (default 1000,100000,1000000).
  --threads T,...     Thread counts (default 1 up to the number of cores).
  --dtype D           The inputs' dtype: float64 (uniform in [0, 1), the
                      default), float32 (the same), int64 or int32 (1 to 100),
                      complex128 (both parts uniform in [0, 1)) or bool.
  --json              One JSON object per point instead of the table, with
                      keys threads, n, us_per_call, us_min, us_max,
                      ns_per_elem, gb_per_s and speedup.
  --plot FILE.png     Also draw the speedup chart (one line per n).
  --ms MS             Measuring time per point (default 150)."
    };
}

const HELP: &str = concat!(
    "numexpr-style array expressions compiled with Cranelift.

Usage: numjit [repl]
       numjit eval EXPR [NAME=VALUE]... [-o OUT.npy] [--threads N]
       numjit bench EXPR [--n N,...] [--threads T,...] [--dtype D] [--json] [--plot FILE.png]
       numjit --help | --version

Commands:
  repl    An interactive session (also plain `numjit` on a terminal): build
          arrays, evaluate expressions, time them. Type :help inside. When
          stdin is not a terminal, runs the statements it reads, one per line,
          and exits with status 1 if any failed.
  eval    Evaluate EXPR over the given inputs and print the result the way
          NumPy's repr() does, or save it to a .npy file with -o. EXPR may
          be a script (statements separated by ; or newlines): the loaded
          arrays are then writable, and the result is the whole updated
          target of the last statement (`lap[1:-1,1:-1] = ...` gives all of
          lap), the new array of `x = ...`, or a bare expression's value.
          Input files are never modified.
  bench   Time EXPR on random inputs (one per free name, fixed seed) for every
          n and thread count: median us per call (and the fastest and slowest
          batch), ns per element, GB/s of array traffic, speedup against one
          thread. EXPR may be a script with assignments (a stencil step): its
          subscripted names get n-d arrays, other names scalars.
\n",
    "Options of eval:\n",
    eval_options!(),
    "\n\nOptions of bench:\n",
    bench_options!(),
    "\n\nOptions:\n  -h, --help          Print this help.\n  -V, --version       Print the version.\n\nExamples:\n  numjit\n  numjit < script.txt\n  numjit eval \"a**2 + b**2 + 2*a*b\" a=a.npy b=b.npy -o c.npy\n  numjit eval \"x * k + 1\" x=x.npy k=2.5\n  numjit eval \"z * w\" z=z.npy w=1-2j\n  numjit eval \"x * k\" x=x32.npy k=float32:0.5\n  numjit eval \"(x > 0) & mask\" x=x.npy mask=mask.npy --threads 4\n  numjit eval \"lap[1:-1,1:-1] = d[2:,1:-1] + d[:-2,1:-1] - 2*d[1:-1,1:-1]\" lap=lap.npy d=d.npy -o lap2.npy\n  numjit bench \"a**2 + b**2 + 2*a*b\" --n 1000,1000000\n  numjit bench \"sin(a)**2 + cos(b)**2\" --threads 1,2 --json --plot scaling.png"
);

/// `numjit eval --help`: that command alone.
const EVAL_HELP: &str = concat!(
    "Evaluate EXPR over the given inputs and print the result the way NumPy's\nrepr() does, or save it to a .npy file with -o. EXPR may be a script (see\n`numjit --help`).\n\n",
    "Usage: numjit eval EXPR [NAME=VALUE]... [-o OUT.npy] [--threads N]\n\nOptions:\n",
    eval_options!(),
    "\n\nExamples:\n  numjit eval \"a**2 + b**2 + 2*a*b\" a=a.npy b=b.npy -o c.npy\n  numjit eval \"x * k + 1\" x=x.npy k=2.5\n  numjit eval \"z * w\" z=z.npy w=1-2j\n  numjit eval \"x * k\" x=x32.npy k=float32:0.5\n  numjit eval \"(x > 0) & mask\" x=x.npy mask=mask.npy --threads 4\n  numjit eval \"lap[1:-1,1:-1] = d[2:,1:-1] + d[:-2,1:-1] - 2*d[1:-1,1:-1]\" lap=lap.npy d=d.npy -o lap2.npy"
);

/// `numjit bench --help`: that command alone.
const BENCH_HELP: &str = concat!(
    "Time EXPR on random inputs (one per free name, fixed seed) for every n and\nthread count: median us per call, ns per element, GB/s of array traffic,\nspeedup against one thread.\n\n",
    "Usage: numjit bench EXPR [--n N,...] [--threads T,...] [--dtype D] [--json] [--plot FILE.png] [--ms MS]\n\nOptions:\n",
    bench_options!(),
    "\n  -h, --help          Print this help.\n\nExamples:\n  numjit bench \"a**2 + b**2 + 2*a*b\" --n 1000,1000000\n  numjit bench \"sin(a)**2 + cos(b)**2\" --threads 1,2 --json --plot scaling.png"
);

/// `numjit repl --help`.
const REPL_HELP: &str = "\
An interactive session (also plain `numjit` on a terminal): build arrays,
evaluate expressions, time them. Type :help inside. When stdin is not a
terminal, runs the statements it reads, one per line, and exits with status 1
if any failed.

Usage: numjit [repl]
       numjit < script.txt
";

/// Why the command failed: a usage error (print the usage too), any other error, or failed
/// statements of a script (already reported).
enum Failure {
    Usage(String),
    Other(String),
    Reported,
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(msg)) => {
            eprintln!("numjit: {msg}\n{USAGE}\nRun 'numjit --help' for more.");
            ExitCode::FAILURE
        }
        Err(Failure::Other(msg)) => {
            eprintln!("{msg}");
            ExitCode::FAILURE
        }
        Err(Failure::Reported) => ExitCode::FAILURE,
    }
}

fn run(args: &[String]) -> Result<(), Failure> {
    let Some(command) = args.first() else {
        return interactive(true);
    };
    match command.as_str() {
        "-h" | "--help" | "help" => {
            print_out(HELP);
            Ok(())
        }
        "-V" | "--version" => {
            print_out(&format!("numjit {}", env!("CARGO_PKG_VERSION")));
            Ok(())
        }
        "eval" => eval(&args[1..]),
        "bench" => bench_command(&args[1..]),
        "repl" => match args.get(1).map(String::as_str) {
            None => interactive(false),
            Some("-h" | "--help") => {
                print_out(REPL_HELP);
                Ok(())
            }
            Some(other) => Err(Failure::Usage(format!(
                "repl takes no arguments, got '{other}' (use `numjit repl < FILE` for a script)"
            ))),
        },
        other => Err(Failure::Usage(format!("unknown command '{other}'"))),
    }
}

/// The REPL on a terminal, or the statements read from stdin otherwise. With `bare` (plain
/// `numjit`), empty input is a usage error: nothing was asked for.
fn interactive(bare: bool) -> Result<(), Failure> {
    let mut session = repl::Session::new();
    if std::io::stdin().is_terminal() {
        return if repl::run_terminal(&mut session) {
            Ok(())
        } else {
            Err(Failure::Reported)
        };
    }
    let stdin = std::io::stdin();
    let (read, ok) = repl::run_script(
        &mut session,
        &mut stdin.lock(),
        &mut std::io::stdout(),
        &mut std::io::stderr(),
    );
    if bare && read == 0 {
        return Err(Failure::Usage("no command given".to_string()));
    }
    if ok {
        Ok(())
    } else {
        Err(Failure::Reported)
    }
}

fn bench_command(args: &[String]) -> Result<(), Failure> {
    if args.iter().any(|a| a == "-h" || a == "--help") {
        print_out(BENCH_HELP);
        return Ok(());
    }
    let opts = bench::parse_args(args).map_err(Failure::Usage)?;
    let mut out = std::io::stdout();
    match bench::run(&opts, None, &mut out) {
        Ok(_) => Ok(()),
        Err(bench::BenchError::Engine(e)) => Err(Failure::Other(e.to_string())),
        Err(bench::BenchError::Other(m)) => Err(Failure::Other(format!("error: {m}"))),
    }
}

/// The parsed arguments of `numjit eval`.
struct EvalArgs {
    expr: String,
    bindings: Vec<(String, String)>,
    output: Option<PathBuf>,
    threads: Option<usize>,
}

/// A bound input value.
#[derive(Debug)]
enum Value {
    Array(Array),
    Float(f64),
    Float32(f32),
    Int(i64),
    Int32(i32),
    Bool(bool),
    Complex(Complex64),
    /// Byte strings from a `.npy` file (read-only, even in scripts).
    Bytes(npy::ByteStrings),
}

fn eval(args: &[String]) -> Result<(), Failure> {
    if args.iter().any(|a| a == "-h" || a == "--help") {
        print_out(EVAL_HELP);
        return Ok(());
    }
    let parsed = parse_eval_args(args)?;

    let mut values = Vec::with_capacity(parsed.bindings.len());
    for (name, text) in &parsed.bindings {
        values.push((name.as_str(), parse_value(text)?));
    }
    if let Some(n) = parsed.threads {
        numjit::set_num_threads(n);
    }
    let engine = |e: numjit::Error| Failure::Other(e.to_string());
    // One expression is evaluated; anything else is a script, whose bound arrays are writable.
    let result = if numjit::internals::syntax::parse(&parsed.expr).is_ok() {
        numjit::eval(&parsed.expr, bind(&mut values, false)).map_err(engine)?
    } else {
        let run = numjit::execute(&parsed.expr, bind(&mut values, true));
        script_result(&parsed.expr, run.map_err(engine)?, values)?
    };
    match &parsed.output {
        Some(path) => {
            npy::write(path, &result).map_err(|e| Failure::Other(format!("error: {e}")))?
        }
        None => print_out(&repr(&result)),
    }
    Ok(())
}

/// Binds the command line's values; arrays writably when `writable` (scripts assign into
/// them).
fn bind<'v>(values: &'v mut [(&str, Value)], writable: bool) -> Vars<'v> {
    let mut vars = Vars::new();
    for (name, value) in values.iter_mut() {
        let name: &'v str = name;
        vars = match value {
            Value::Array(a) => {
                if writable {
                    vars.bind_mut(name, a)
                } else {
                    vars.bind(name, &*a)
                }
            }
            Value::Float(v) => vars.bind(name, *v),
            Value::Float32(v) => vars.bind(name, *v),
            Value::Int(v) => vars.bind(name, *v),
            Value::Int32(v) => vars.bind(name, *v),
            Value::Bool(v) => vars.bind(name, *v),
            Value::Complex(v) => vars.bind(name, *v),
            Value::Bytes(b) => vars.bind(name, b.arg()),
        };
    }
    vars
}

/// What a script's run prints or saves: for a last statement `x[...] = ...` the whole updated
/// array `x`, for `x = ...` the new array, for a bare expression its value. Moved out, not
/// copied: the arrays may be as large as the input files.
fn script_result(
    script: &str,
    outputs: numjit::Outputs,
    values: Vec<(&str, Value)>,
) -> Result<Array, Failure> {
    use numjit::internals::syntax::ast::{ExprKind, StmtKind};
    let stmts = numjit::internals::syntax::parse_script(script)
        .map_err(|e| Failure::Other(e.to_string()))?;
    let last = stmts.last().map(|s| &s.kind);
    let mut target = match last {
        Some(StmtKind::Assign { target, .. }) => target,
        _ => {
            return outputs.into_value().ok_or_else(|| {
                Failure::Other("error: the script's last statement has no value".to_string())
            })
        }
    };
    while let ExprKind::Subscript { base, .. } = &target.kind {
        target = base;
    }
    let ExprKind::Name(name) = &target.kind else {
        return Err(Failure::Other(
            "error: the script's last target is not a name".to_string(),
        ));
    };
    if let Some((_, a)) = outputs.into_vec().into_iter().find(|(n, _)| n == name) {
        return Ok(a);
    }
    match values.into_iter().rev().find(|(n, _)| n == name) {
        Some((_, Value::Array(a))) => Ok(a),
        _ => Err(Failure::Other(format!("error: `{name}` is not an array"))),
    }
}

fn parse_eval_args(args: &[String]) -> Result<EvalArgs, Failure> {
    let mut expr = None;
    let mut bindings: Vec<(String, String)> = Vec::new();
    let mut output = None;
    let mut threads = None;
    let mut options_done = false;
    let mut i = 0;
    while i < args.len() {
        let arg = &args[i];
        i += 1;
        // The value of an option given as `--opt=VALUE` or as the next argument.
        let mut option_value = |name: &str| -> Result<String, Failure> {
            if let Some(v) = arg.strip_prefix(name).and_then(|r| r.strip_prefix('=')) {
                return Ok(v.to_string());
            }
            let v = args
                .get(i)
                .ok_or_else(|| Failure::Usage(format!("{name} needs a value")))?;
            i += 1;
            Ok(v.clone())
        };
        if !options_done {
            if arg == "--" {
                options_done = true;
                continue;
            }
            if arg == "-o" || arg == "--output" || arg.starts_with("--output=") {
                let name = if arg == "-o" { "-o" } else { "--output" };
                if output.is_some() {
                    return Err(Failure::Usage(format!("{name} given twice")));
                }
                output = Some(PathBuf::from(option_value(name)?));
                continue;
            }
            if arg == "--threads" || arg.starts_with("--threads=") {
                let v = option_value("--threads")?;
                let n: usize = v.parse().ok().filter(|&n| n > 0).ok_or_else(|| {
                    Failure::Usage(format!("--threads needs a positive integer, got '{v}'"))
                })?;
                threads = Some(n);
                continue;
            }
            // A leading single `-` may start an expression (`-a * b`); a `--` never does.
            if arg.starts_with("--") {
                let flag = arg.split('=').next().unwrap_or(arg);
                let known = ["--output", "--threads", "--help"];
                return Err(Failure::Usage(
                    match known.iter().find(|k| bench::near_flag(flag, k)) {
                        Some(k) => format!("unknown option '{arg}'; did you mean '{k}'?"),
                        None => format!("unknown option '{arg}' (options: -o/--output, --threads)"),
                    },
                ));
            }
        }
        if expr.is_none() {
            expr = Some(arg.clone());
            continue;
        }
        let Some((name, value)) = arg.split_once('=') else {
            return Err(Failure::Usage(format!(
                "expected NAME=VALUE, got '{arg}' (quote EXPR if it contains spaces)"
            )));
        };
        if !is_identifier(name) {
            return Err(Failure::Usage(format!(
                "'{name}' in '{arg}' is not a valid name"
            )));
        }
        if bindings.iter().any(|(n, _)| n == name) {
            return Err(Failure::Usage(format!("'{name}' is bound twice")));
        }
        bindings.push((name.to_string(), value.to_string()));
    }
    let expr = expr.ok_or_else(|| Failure::Usage("eval needs an expression".to_string()))?;
    Ok(EvalArgs {
        expr,
        bindings,
        output,
        threads,
    })
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Parses VALUE of NAME=VALUE: a number literal (a complex one included), `True`/`False`,
/// `DTYPE:NUMBER`, or else a `.npy` path.
fn parse_value(text: &str) -> Result<Value, Failure> {
    if let Some((prefix, number)) = text.split_once(':') {
        if let Some(dtype) = typed_prefix(prefix) {
            return typed_number(dtype, number)
                .map_err(|why| Failure::Other(format!("error: {text}: {why}")));
        }
        // `int8:3`: a dtype-like prefix numjit does not compute in (not a Windows drive or
        // a path, which have no such prefix).
        let p = prefix.strip_prefix("np.").unwrap_or(prefix);
        let numpy_like = [
            "int", "uint", "float", "complex", "bool", "str", "bytes", "object",
        ]
        .iter()
        .any(|k| p.starts_with(k) && p[k.len()..].bytes().all(|b| b.is_ascii_digit()));
        if numpy_like {
            let names: Vec<&str> = DType::ALL.iter().map(|d| d.name()).collect();
            return Err(Failure::Other(format!(
                "error: {text}: unknown dtype '{prefix}' (a scalar is one of {})",
                names.join(", ")
            )));
        }
    }
    match number(text) {
        Ok(Some(v)) => Ok(v),
        Ok(None) => match npy::read_contents(Path::new(text)) {
            Ok(npy::Contents::Array(a)) => Ok(Value::Array(a)),
            Ok(npy::Contents::Bytes(b)) => Ok(Value::Bytes(b)),
            Err(e) => Err(Failure::Other(format!("error: {e}"))),
        },
        Err(why) => Err(Failure::Other(format!("error: {why}"))),
    }
}

/// The dtype of a `DTYPE:` prefix: one of numjit's dtype names, as NumPy spells them.
fn typed_prefix(prefix: &str) -> Option<DType> {
    let name = prefix.strip_prefix("np.").unwrap_or(prefix);
    DType::ALL.into_iter().find(|d| d.name() == name)
}

/// An untyped number: `Ok(None)` when `text` is not a number literal at all.
fn number(text: &str) -> Result<Option<Value>, String> {
    match text {
        "True" => return Ok(Some(Value::Bool(true))),
        "False" => return Ok(Some(Value::Bool(false))),
        _ => {}
    }
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        return text
            .parse::<i64>()
            .map(|v| Some(Value::Int(v)))
            .map_err(|_| {
                format!("integer {text} does not fit in int64 (write {text}.0 for a float64)")
            });
    }
    if let Ok(v) = text.parse::<f64>() {
        return Ok(Some(Value::Float(v)));
    }
    Ok(parse_complex(text).map(Value::Complex))
}

/// `number` given the dtype `dtype`, converted as NumPy's `np.int32(3)`, `np.float32(2.5)` and
/// the like convert a Python literal: integers must fit, float32 is rounded from the float64,
/// complex128 takes any number.
fn typed_number(dtype: DType, number: &str) -> Result<Value, String> {
    let value = self::number(number)?.ok_or_else(|| format!("'{number}' is not a number"))?;
    let not = |what: &str| Err(format!("{dtype} needs {what}, not '{number}'"));
    Ok(match (dtype, value) {
        (DType::Bool, Value::Bool(b)) => Value::Bool(b),
        (DType::Bool, _) => return not("True or False"),
        (DType::Int32, Value::Int(v)) => {
            Value::Int32(i32::try_from(v).map_err(|_| {
                format!("{v} is out of bounds for int32 (-2147483648 to 2147483647)")
            })?)
        }
        (DType::Int64, Value::Int(v)) => Value::Int(v),
        (DType::Int32 | DType::Int64, _) => return not("an integer"),
        (DType::Float32, Value::Int(v)) => Value::Float32(v as f64 as f32),
        (DType::Float32, Value::Float(v)) => Value::Float32(v as f32),
        (DType::Float64, Value::Int(v)) => Value::Float(v as f64),
        (DType::Float64, Value::Float(v)) => Value::Float(v),
        (DType::Float32 | DType::Float64, _) => return not("a real number"),
        (DType::Complex128, Value::Int(v)) => Value::Complex(Complex64::new(v as f64, 0.0)),
        (DType::Complex128, Value::Float(v)) => Value::Complex(Complex64::new(v, 0.0)),
        (DType::Complex128, Value::Complex(v)) => Value::Complex(v),
        (DType::Complex128, _) => return not("a number"),
        (DType::Bytes(_), _) => return Err("byte strings come only from .npy files".into()),
    })
}

/// A complex literal as Python's `complex()` reads one: `2j`, `-1.5e3J`, `1+2j`, `(1-2j)`,
/// `inf+nanj`, `1-j` (no spaces inside). `None` unless it ends in `j` or `J`.
fn parse_complex(text: &str) -> Option<Complex64> {
    let t = text
        .strip_prefix('(')
        .and_then(|t| t.strip_suffix(')'))
        .unwrap_or(text);
    let body = t.strip_suffix(['j', 'J'])?;
    // The imaginary part starts at the last sign that does not follow an exponent's `e`.
    let b = body.as_bytes();
    let split = (1..b.len())
        .rev()
        .find(|&i| matches!(b[i], b'+' | b'-') && !matches!(b[i - 1], b'e' | b'E'));
    let (re, im) = match split {
        Some(i) => (&body[..i], &body[i..]),
        None => ("", body),
    };
    let real = |s: &str| -> Option<f64> {
        // Rust's parser takes what Python's does here, save `_` separators.
        let ok = !s.is_empty()
            && s.bytes()
                .all(|c| c.is_ascii_alphanumeric() || b".+-".contains(&c));
        ok.then(|| s.parse::<f64>().ok()).flatten()
    };
    let re = if re.is_empty() { 0.0 } else { real(re)? };
    let im = match im {
        "" | "+" => 1.0,
        "-" => -1.0,
        s => real(s)?,
    };
    Some(Complex64::new(re, im))
}

/// Writes `text` and a newline to stdout. A closed pipe (`numjit eval ... | head`) is not an
/// error worth a panic: the reader has what it wanted.
fn print_out(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{text}").and_then(|_| out.flush());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn mistyped_eval_flags_get_a_suggestion() {
        let usage = |a: &[&str]| match parse_eval_args(&args(a)) {
            Err(Failure::Usage(m)) => m,
            _ => panic!("{a:?} should be a usage error"),
        };
        assert_eq!(
            usage(&["x", "--thread", "2"]),
            "unknown option '--thread'; did you mean '--threads'?"
        );
        assert_eq!(
            usage(&["x", "--ouptut=a.npy"]),
            "unknown option '--ouptut=a.npy'; did you mean '--output'?"
        );
        assert!(usage(&["x", "--bogus"]).contains("options: -o/--output, --threads"));
    }

    #[test]
    fn each_command_has_its_own_help() {
        assert!(EVAL_HELP.contains("Usage: numjit eval EXPR"));
        assert!(EVAL_HELP.contains("NAME=VALUE"));
        assert!(!EVAL_HELP.contains("--dtype"));
        assert!(BENCH_HELP.contains("Usage: numjit bench EXPR"));
        assert!(BENCH_HELP.contains("--dtype D"));
        assert!(!BENCH_HELP.contains("NAME=VALUE"));
        assert!(REPL_HELP.contains("Usage: numjit [repl]"));
        // The general help has everything, indentation intact.
        assert!(HELP.contains("Options of eval:\n  NAME=VALUE"));
        assert!(HELP.contains("\n       numjit eval EXPR"));
        assert!(HELP.contains("Options of bench:\n  --n N,..."));
    }

    #[test]
    fn number_literals() {
        assert!(matches!(parse_value("3"), Ok(Value::Int(3))));
        assert!(matches!(parse_value("-12"), Ok(Value::Int(-12))));
        assert!(matches!(parse_value("2.5"), Ok(Value::Float(v)) if v == 2.5));
        assert!(matches!(parse_value("1e-3"), Ok(Value::Float(v)) if v == 1e-3));
        assert!(matches!(parse_value("-inf"), Ok(Value::Float(v)) if v == f64::NEG_INFINITY));
        assert!(matches!(parse_value("nan"), Ok(Value::Float(v)) if v.is_nan()));
        assert!(matches!(parse_value("True"), Ok(Value::Bool(true))));
        assert!(matches!(parse_value("False"), Ok(Value::Bool(false))));
        assert!(matches!(
            parse_value("99999999999999999999"),
            Err(Failure::Other(_))
        ));
        // Anything else is a path.
        assert!(matches!(
            parse_value("/no/such/file.npy"),
            Err(Failure::Other(msg)) if msg.contains("/no/such/file.npy")
        ));
    }

    fn complex(text: &str) -> Option<(f64, f64)> {
        match parse_value(text) {
            Ok(Value::Complex(c)) => Some((c.re, c.im)),
            _ => None,
        }
    }

    #[test]
    fn complex_literals() {
        assert_eq!(complex("2j"), Some((0.0, 2.0)));
        assert_eq!(complex("-1.5e3J"), Some((0.0, -1500.0)));
        assert_eq!(complex("1+2j"), Some((1.0, 2.0)));
        assert_eq!(complex("(1-2j)"), Some((1.0, -2.0)));
        assert_eq!(complex("1e-3-2.5e+2j"), Some((1e-3, -250.0)));
        assert_eq!(complex("j"), Some((0.0, 1.0)));
        assert_eq!(complex("1-j"), Some((1.0, -1.0)));
        assert_eq!(complex("-inf+0j"), Some((f64::NEG_INFINITY, 0.0)));
        let (re, im) = complex("nan+infj").unwrap();
        assert!(re.is_nan() && im == f64::INFINITY);
        // Not complex numbers: paths.
        for text in ["1 + 2j", "1+2", "x.npy", "1+2jj", "(1+2j", "1++2j", "abcj"] {
            assert!(complex(text).is_none(), "{text}");
        }
    }

    #[test]
    fn typed_literals() {
        assert!(matches!(parse_value("int32:3"), Ok(Value::Int32(3))));
        for v in ["int8:3", "uint16:1", "float16:0.5", "np.int8:3"] {
            match parse_value(v) {
                Err(Failure::Other(m)) => assert!(m.contains("unknown dtype"), "{m}"),
                _ => panic!("{v} should be refused"),
            }
        }
        assert!(matches!(
            parse_value("int32:-2147483648"),
            Ok(Value::Int32(i32::MIN))
        ));
        assert!(matches!(parse_value("int64:3"), Ok(Value::Int(3))));
        assert!(matches!(parse_value("float32:0.1"), Ok(Value::Float32(v)) if v == 0.1f32));
        assert!(matches!(parse_value("float32:1e40"), Ok(Value::Float32(v)) if v.is_infinite()));
        assert!(matches!(parse_value("float32:3"), Ok(Value::Float32(v)) if v == 3.0));
        assert!(matches!(parse_value("float64:3"), Ok(Value::Float(v)) if v == 3.0));
        assert!(matches!(parse_value("np.float64:-0.5"), Ok(Value::Float(v)) if v == -0.5));
        assert!(
            matches!(parse_value("complex128:1-2j"), Ok(Value::Complex(c)) if c == Complex64::new(1.0, -2.0))
        );
        assert!(
            matches!(parse_value("complex128:2"), Ok(Value::Complex(c)) if c == Complex64::new(2.0, 0.0))
        );
        assert!(matches!(parse_value("bool:True"), Ok(Value::Bool(true))));
        for (bad, why) in [
            ("int32:3000000000", "out of bounds for int32"),
            ("int32:2.5", "int32 needs an integer"),
            ("float32:1j", "float32 needs a real number"),
            ("bool:1", "bool needs True or False"),
            ("int64:x", "'x' is not a number"),
        ] {
            match parse_value(bad) {
                Err(Failure::Other(msg)) => {
                    assert!(msg.contains(why) && msg.contains(bad), "{msg}")
                }
                _ => panic!("{bad} accepted"),
            }
        }
    }

    #[test]
    fn eval_arguments() {
        let p = parse_eval_args(&args(&[
            "a == b",
            "--threads=3",
            "a=x.npy",
            "-o",
            "out.npy",
            "b=2",
        ]))
        .ok()
        .unwrap();
        assert_eq!(p.expr, "a == b");
        assert_eq!(p.threads, Some(3));
        assert_eq!(p.output, Some(PathBuf::from("out.npy")));
        assert_eq!(
            p.bindings,
            vec![
                ("a".to_string(), "x.npy".to_string()),
                ("b".to_string(), "2".to_string())
            ]
        );
        // A leading `-` starts an expression; `--` ends the options.
        let p = parse_eval_args(&args(&["-a * b", "a=1", "b=2"]))
            .ok()
            .unwrap();
        assert_eq!(p.expr, "-a * b");
        let p = parse_eval_args(&args(&["--", "--a", "a=1"])).ok().unwrap();
        assert_eq!(p.expr, "--a");
        for bad in [
            &[][..],
            &["a", "b"],
            &["a", "=1"],
            &["a", "a=1", "a=2"],
            &["a", "--threads", "0"],
            &["a", "-o"],
            &["a", "-o", "x.npy", "--output=y.npy"],
            &["a", "--unknown"],
        ] {
            assert!(
                matches!(parse_eval_args(&args(bad)), Err(Failure::Usage(_))),
                "{bad:?}"
            );
        }
    }
}
