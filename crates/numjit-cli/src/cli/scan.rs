//! Reading the REPL's input text: comments and continuation lines blanked out (keeping every
//! byte offset, so error spans stay valid), statements split at top-level `;` and newlines,
//! the `=` of an assignment, calls and their arguments, and whether an input is complete.
//! Brackets and quotes are tracked byte by byte; every byte these functions look for is
//! ASCII, so every index they return is on a character boundary.

use super::repl::{Failure, Res, CONSTRUCTORS};

/// A constructor or `save` call: the name, its arguments' spans, the whole span.
#[derive(Debug)]
pub struct Call {
    pub name: String,
    pub name_span: (usize, usize),
    pub args: Vec<CallArg>,
    pub span: (usize, usize),
}

/// One argument of a [`Call`]: `key=value` or a positional value, as spans into the input.
#[derive(Debug)]
pub struct CallArg {
    pub key: Option<(String, (usize, usize))>,
    pub value: (usize, usize),
}

/// The spans of the outermost constructor calls in `src[s..e]` (`zeros(...)` and the like,
/// not preceded by `.` or part of a longer name), and of the method form `x.astype(...)` on a
/// name `x`.
pub fn constructor_calls(src: &str, s: usize, e: usize) -> Vec<(usize, usize)> {
    let b = src.as_bytes();
    let mut calls = Vec::new();
    let mut quote: Option<u8> = None;
    let mut i = s;
    while i < e {
        let c = b[i];
        if let Some(q) = quote {
            if c == q || c == b'\n' {
                quote = None;
            }
            i += 1;
            continue;
        }
        if c == b'"' || c == b'\'' {
            quote = Some(c);
            i += 1;
            continue;
        }
        let ident = |x: u8| x.is_ascii_alphanumeric() || x == b'_';
        let starts_word = (c.is_ascii_alphabetic() || c == b'_') && (i == s || !ident(b[i - 1]));
        if !starts_word {
            i += 1;
            continue;
        }
        let mut j = i;
        while j < e && ident(b[j]) {
            j += 1;
        }
        let word = &src[i..j];
        let (open, _) = trim(src, j, e);
        let after_dot = i > s && b[i - 1] == b'.';
        let start = if after_dot {
            method_receiver(src, s, i - 1).filter(|_| METHODS.contains(&word))
        } else {
            CONSTRUCTORS.contains(&word).then_some(i)
        };
        if let (Some(start), Some(&b'(')) = (start, b.get(open)) {
            if let Some(close) = matching_close(src, open, e) {
                calls.push((start, close + 1));
                i = close + 1;
                continue;
            }
        }
        i = j;
    }
    calls
}

/// The constructors that also have a method form, `x.astype(dtype)`, `x.reshape(3, 4)`.
const METHODS: [&str; 2] = ["astype", "reshape"];

/// Where the name before the `.` at `dot` starts, if a plain name (not a number, not an
/// attribute of something else) ends there.
fn method_receiver(src: &str, s: usize, dot: usize) -> Option<usize> {
    let b = src.as_bytes();
    let ident = |x: u8| x.is_ascii_alphanumeric() || x == b'_';
    let mut start = dot;
    while start > s && ident(b[start - 1]) {
        start -= 1;
    }
    let plain = start < dot
        && (b[start].is_ascii_alphabetic() || b[start] == b'_')
        && (start == s || b[start - 1] != b'.');
    plain.then_some(start)
}

/// `name(args...)` spanning all of `src[s..e]`, if that is what it is; `x.astype(args...)` is
/// the call `astype(x, args...)`.
pub fn parse_call(src: &str, s: usize, e: usize) -> Option<Call> {
    let (s, e) = trim(src, s, e);
    let text = &src[s..e];
    let name_len = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(text.len());
    let name = &text[..name_len];
    if !is_identifier(name) {
        return None;
    }
    if METHODS
        .iter()
        .any(|m| text[name_len..].starts_with(&format!(".{m}(")))
    {
        let m = s + name_len + 1;
        let mut call = parse_call(src, m, e)?;
        if !METHODS.contains(&call.name.as_str()) {
            return None;
        }
        call.args.insert(
            0,
            CallArg {
                key: None,
                value: (s, s + name_len),
            },
        );
        call.span = (s, e);
        return Some(call);
    }
    let (open, _) = trim(src, s + name_len, e);
    if src.as_bytes().get(open) != Some(&b'(') || matching_close(src, open, e) != Some(e - 1) {
        return None;
    }
    let mut parts = split_top(src, open + 1, e - 1, b',');
    // A trailing comma leaves an empty last part; `f()` has one empty part.
    if parts
        .last()
        .is_some_and(|&(a, b)| trim(src, a, b).0 == trim(src, a, b).1)
    {
        parts.pop();
    }
    let mut args = Vec::new();
    for (a, b) in parts {
        let (a, b) = trim(src, a, b);
        let key = find_assign(src, a, b).and_then(|eq| {
            let (ks, ke) = trim(src, a, eq);
            is_identifier(&src[ks..ke]).then(|| (src[ks..ke].to_string(), (ks, ke), eq))
        });
        match key {
            Some((k, kspan, eq)) => args.push(CallArg {
                key: Some((k, kspan)),
                value: trim(src, eq + 1, b),
            }),
            None => args.push(CallArg {
                key: None,
                value: (a, b),
            }),
        }
    }
    Some(Call {
        name: name.to_string(),
        name_span: (s, s + name_len),
        args,
        span: (s, e),
    })
}

/// A quoted string argument (no escapes: the text between the quotes is taken as is).
pub fn string_arg(src: &str, span: (usize, usize)) -> Res<String> {
    let (s, e) = trim(src, span.0, span.1);
    let t = &src[s..e];
    for q in ['"', '\''] {
        if t.len() >= 2 && t.starts_with(q) && t.ends_with(q) {
            return Ok(t[1..t.len() - 1].to_string());
        }
    }
    Err(Failure::at(
        "expected a quoted file name, like \"a.npy\"",
        (s, e.max(s + 1)),
    ))
}

/// Blanks out comments and `\`-newline continuations with spaces, keeping every byte offset.
pub fn preprocess(input: &str) -> String {
    let mut b = input.as_bytes().to_vec();
    let mut quote: Option<u8> = None;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) if c == b'\n' => quote = None,
            Some(_) => {}
            None => match c {
                b'"' | b'\'' => quote = Some(c),
                b'#' => {
                    while i < b.len() && b[i] != b'\n' {
                        b[i] = b' ';
                        i += 1;
                    }
                    continue;
                }
                b'\\' => {
                    let mut j = i + 1;
                    while j < b.len() && (b[j] == b' ' || b[j] == b'\t' || b[j] == b'\r') {
                        j += 1;
                    }
                    if j < b.len() && b[j] == b'\n' {
                        b[i..=j].fill(b' ');
                        i = j + 1;
                        continue;
                    }
                }
                _ => {}
            },
        }
        i += 1;
    }
    // Only ASCII bytes were replaced by ASCII spaces, so this stays valid UTF-8.
    String::from_utf8(b).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Calls `f(i)` for every byte `i` of `src[s..e]` that is outside brackets and quotes
/// (brackets counted from `s`).
pub fn for_top(src: &str, s: usize, e: usize, mut f: impl FnMut(usize)) {
    let b = src.as_bytes();
    let mut depth = 0usize;
    let mut quote: Option<u8> = None;
    for (i, &c) in b.iter().enumerate().take(e).skip(s) {
        if let Some(q) = quote {
            if c == q || c == b'\n' {
                quote = None;
            }
            continue;
        }
        match c {
            b'"' | b'\'' => quote = Some(c),
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ if depth == 0 => f(i),
            _ => {}
        }
    }
}

/// The pieces of `src[s..e]` between top-level `sep` bytes.
pub fn split_top(src: &str, s: usize, e: usize, sep: u8) -> Vec<(usize, usize)> {
    let mut parts = Vec::new();
    let mut start = s;
    for_top(src, s, e, |i| {
        if src.as_bytes()[i] == sep {
            parts.push((start, i));
            start = i + 1;
        }
    });
    parts.push((start, e));
    parts
}

/// The statements of an input: split at top-level `;` and newlines, trimmed, empty ones
/// dropped.
pub fn statements(src: &str) -> Vec<(usize, usize)> {
    let mut parts = Vec::new();
    let mut start = 0;
    for_top(src, 0, src.len(), |i| {
        if matches!(src.as_bytes()[i], b';' | b'\n') {
            parts.push((start, i));
            start = i + 1;
        }
    });
    parts.push((start, src.len()));
    parts
        .into_iter()
        .map(|(a, b)| trim(src, a, b))
        .filter(|(a, b)| a < b)
        .collect()
}

/// The index of the bracket closing the one at `open`, within `src[..e]`.
pub fn matching_close(src: &str, open: usize, e: usize) -> Option<usize> {
    let b = src.as_bytes();
    let mut depth = 0usize;
    let mut quote: Option<u8> = None;
    for (i, &c) in b.iter().enumerate().take(e).skip(open) {
        if let Some(q) = quote {
            if c == q || c == b'\n' {
                quote = None;
            }
            continue;
        }
        match c {
            b'"' | b'\'' => quote = Some(c),
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// The first top-level `=` of `src[s..e]` that is not part of `==`, `<=`, `>=` or `!=`.
pub fn find_assign(src: &str, s: usize, e: usize) -> Option<usize> {
    let b = src.as_bytes();
    let mut found = None;
    for_top(src, s, e, |i| {
        if found.is_none()
            && b[i] == b'='
            && !(i > s && matches!(b[i - 1], b'=' | b'<' | b'>' | b'!'))
            && b.get(i + 1) != Some(&b'=')
        {
            found = Some(i);
        }
    });
    found
}

/// `src[s..e]` without surrounding whitespace, as a span.
pub fn trim(src: &str, s: usize, e: usize) -> (usize, usize) {
    let t = &src[s..e];
    let start = s + (t.len() - t.trim_start().len());
    let end = s + t.trim_end().len();
    (start, end.max(start))
}

/// Where the options of `:bench` start: the first ` --name` of a known option.
pub fn option_start(text: &str) -> Option<usize> {
    const OPTIONS: [&str; 6] = ["--n", "--threads", "--dtype", "--json", "--plot", "--ms"];
    let b = text.as_bytes();
    (1..text.len()).find(|&i| {
        b[i - 1].is_ascii_whitespace()
            && OPTIONS.iter().any(|o| {
                text[i..].starts_with(o)
                    && text[i + o.len()..]
                        .chars()
                        .next()
                        .is_none_or(|c| c == '=' || c.is_whitespace())
            })
    })
}

pub fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// True when `input` cannot end yet: a bracket is open or the last line ends with `\`.
pub fn needs_more(input: &str) -> bool {
    let src = preprocess(input.trim_end_matches(['\n', '\r']));
    if src.trim_end().ends_with('\\') {
        return true;
    }
    let b = src.as_bytes();
    let mut depth = 0usize;
    let mut quote: Option<u8> = None;
    for &c in b {
        if let Some(q) = quote {
            if c == q || c == b'\n' {
                quote = None;
            }
            continue;
        }
        match c {
            b'"' | b'\'' => quote = Some(c),
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    depth > 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitting() {
        let src = "a = 1; b = (1;\n2)\nc";
        let st: Vec<&str> = statements(src).iter().map(|&(s, e)| &src[s..e]).collect();
        assert_eq!(st, ["a = 1", "b = (1;\n2)", "c"]);
        assert_eq!(find_assign("a == b", 0, 6), None);
        assert_eq!(find_assign("x[a <= 1] = b", 0, 13), Some(10));
        assert_eq!(preprocess("a # c\nb \\\n+ 1"), "a    \nb   + 1");
        assert!(needs_more("a = (1 +"));
        assert!(needs_more("a = 1 + \\"));
        assert!(!needs_more("a = (1 + 2)) # ("));
        assert_eq!(option_start("a --b --n 3"), Some(6));
        assert_eq!(option_start("a - --n"), Some(4));
        assert_eq!(option_start("a --nope"), None);
        let src = "2*x.astype(int32) + astype(y, float32) - a.b.astype(int32) + 1.astype(x)";
        let calls: Vec<&str> = constructor_calls(src, 0, src.len())
            .iter()
            .map(|&(s, e)| &src[s..e])
            .collect();
        assert_eq!(calls, ["x.astype(int32)", "astype(y, float32)"]);
        let call = parse_call(src, 2, 17).unwrap();
        assert_eq!(call.name, "astype");
        assert_eq!(call.name_span, (4, 10));
        assert_eq!(call.args.len(), 2);
        assert_eq!(call.args[0].value, (2, 3));
        assert!(parse_call("x.shape(1)", 0, 10).is_none());
    }
}
