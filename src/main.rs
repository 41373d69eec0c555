//! The `numjit` command-line tool: evaluates an expression over `.npy` files and numbers.
//!
//! ```text
//! numjit eval "a**2 + b**2 + 2*a*b" a=a.npy b=b.npy -o c.npy
//! numjit eval "x * k + 1" x=x.npy k=2.5
//! ```
//!
//! Run `numjit --help` for the full usage.

use numjit::{format, npy, Array, Vars};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

const USAGE: &str = "\
Usage: numjit eval EXPR [NAME=VALUE]... [-o OUT.npy] [--threads N]
       numjit --help | --version";

const HELP: &str = "\
numexpr-style array expressions compiled with Cranelift.

Usage: numjit eval EXPR [NAME=VALUE]... [-o OUT.npy] [--threads N]
       numjit --help | --version

Commands:
  eval    Evaluate EXPR over the given inputs and print the result the way
          NumPy's repr() does, or save it to a .npy file with -o.

Options of eval:
  NAME=VALUE          Bind NAME to VALUE, either a .npy file (bool, int64 or
                      float64) or a number: 3 is an int64 scalar; 2.5, 1e-3,
                      nan and inf are float64 scalars; True and False are bool.
                      (Write ./3 for a file named 3.) Names EXPR does not use
                      are ignored.
  -o, --output FILE   Write the result to FILE in .npy format instead of
                      printing it.
  --threads N         Evaluate on N threads.
  -h, --help          Print this help.

Options:
  -h, --help          Print this help.
  -V, --version       Print the version.

Examples:
  numjit eval \"a**2 + b**2 + 2*a*b\" a=a.npy b=b.npy -o c.npy
  numjit eval \"x * k + 1\" x=x.npy k=2.5
  numjit eval \"(x > 0) & mask\" x=x.npy mask=mask.npy --threads 4";

/// Why the command failed: a usage error (print the usage too) or any other error.
enum Failure {
    Usage(String),
    Other(String),
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
    }
}

fn run(args: &[String]) -> Result<(), Failure> {
    let Some(command) = args.first() else {
        return Err(Failure::Usage("no command given".to_string()));
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
        other => Err(Failure::Usage(format!("unknown command '{other}'"))),
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
enum Value {
    Array(Array),
    Float(f64),
    Int(i64),
    Bool(bool),
}

fn eval(args: &[String]) -> Result<(), Failure> {
    if args.iter().any(|a| a == "-h" || a == "--help") {
        print_out(HELP);
        return Ok(());
    }
    let parsed = parse_eval_args(args)?;

    let mut values = Vec::with_capacity(parsed.bindings.len());
    for (name, text) in &parsed.bindings {
        values.push((name.as_str(), parse_value(text)?));
    }
    let mut vars = Vars::new();
    for (name, value) in &values {
        vars = match value {
            Value::Array(a) => vars.bind(name, a),
            Value::Float(v) => vars.bind(name, *v),
            Value::Int(v) => vars.bind(name, *v),
            Value::Bool(v) => vars.bind(name, *v),
        };
    }

    if let Some(n) = parsed.threads {
        numjit::set_num_threads(n);
    }
    let result = numjit::eval(&parsed.expr, vars).map_err(|e| Failure::Other(e.to_string()))?;
    match &parsed.output {
        Some(path) => {
            npy::write(path, &result).map_err(|e| Failure::Other(format!("error: {e}")))?
        }
        None => print_out(&format::repr(&result)),
    }
    Ok(())
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
                return Err(Failure::Usage(format!("unknown option '{arg}'")));
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

/// Parses VALUE of NAME=VALUE: a number literal, `True`/`False`, or else a `.npy` path.
fn parse_value(text: &str) -> Result<Value, Failure> {
    match text {
        "True" => return Ok(Value::Bool(true)),
        "False" => return Ok(Value::Bool(false)),
        _ => {}
    }
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        return text.parse::<i64>().map(Value::Int).map_err(|_| {
            Failure::Other(format!(
                "error: integer {text} does not fit in int64 (write {text}.0 for a float64)"
            ))
        });
    }
    if let Ok(v) = text.parse::<f64>() {
        return Ok(Value::Float(v));
    }
    npy::read(Path::new(text))
        .map(Value::Array)
        .map_err(|e| Failure::Other(format!("error: {e}")))
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
