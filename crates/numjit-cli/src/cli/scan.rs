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
/// not preceded by `.` or part of a longer name), and of the method forms `x.astype(...)`,
/// `x.reshape(...)` on a receiver (see [`receiver_start`]: a name, a call, a bracketed
/// expression, a subscript, or a method call, so `arange(12).reshape(3, 4)` is one).
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
            receiver_start(src, s, i - 1).filter(|_| METHODS.contains(&word))
        } else {
            CONSTRUCTORS.contains(&word).then_some(i)
        };
        if let (Some(start), Some(&b'(')) = (start, b.get(open)) {
            if let Some(close) = matching_close(src, open, e) {
                // A receiver's own calls are part of this one (`arange(12)` of
                // `arange(12).reshape(3, 4)`).
                while calls.last().is_some_and(|&(cs, _)| cs >= start) {
                    calls.pop();
                }
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

/// Where the receiver of a method whose `.` is at `dot` starts (within `src[s..dot]`): a
/// name (not a number, not an attribute of something else), a call `f(...)`, a bracketed
/// expression `(...)`, a subscript `x[...]` of a receiver, or a method call `r.reshape(...)`
/// on one. `None` when something else ends at `dot`.
pub fn receiver_start(src: &str, s: usize, dot: usize) -> Option<usize> {
    let b = src.as_bytes();
    let ident = |x: u8| x.is_ascii_alphanumeric() || x == b'_';
    // The name ending at `j`, if one does (not a number).
    let name_start = |j: usize| {
        let mut k = j;
        while k > s && ident(b[k - 1]) {
            k -= 1;
        }
        (k < j && (b[k].is_ascii_alphabetic() || b[k] == b'_')).then_some(k)
    };
    let mut j = dot;
    loop {
        if j > s && matches!(b[j - 1], b')' | b']') {
            let close = b[j - 1];
            let open = matching_open(src, s, j - 1)?;
            match name_start(open) {
                // `r.reshape(...)`, a method call on a receiver: go on before its dot.
                Some(k) if k > s && b[k - 1] == b'.' => {
                    if close != b')' || !METHODS.contains(&&src[k..open]) {
                        return None;
                    }
                    j = k - 1;
                }
                Some(k) => return Some(k),
                None if close == b')' && (open == s || !ident(b[open - 1])) => return Some(open),
                None if close == b']' => j = open,
                None => return None,
            }
        } else {
            let k = name_start(j)?;
            return (k == s || b[k - 1] != b'.').then_some(k);
        }
    }
}

/// The index of the bracket that the one at `close` closes, within `src[s..=close]`.
pub fn matching_open(src: &str, s: usize, close: usize) -> Option<usize> {
    let b = src.as_bytes();
    let mut open = Vec::new();
    let mut quote: Option<u8> = None;
    for (i, &c) in b.iter().enumerate().take(close + 1).skip(s) {
        if let Some(q) = quote {
            if c == q || c == b'\n' {
                quote = None;
            }
            continue;
        }
        match c {
            b'"' | b'\'' => quote = Some(c),
            b'(' | b'[' | b'{' => open.push(i),
            b')' | b']' | b'}' => {
                let o = open.pop()?;
                if i == close {
                    return Some(o);
                }
            }
            _ => {}
        }
    }
    None
}

/// `name(args...)` spanning all of `src[s..e]`, if that is what it is; the method form
/// `r.astype(args...)` on a receiver `r` (see [`receiver_start`]) is the call
/// `astype(r, args...)`.
pub fn parse_call(src: &str, s: usize, e: usize) -> Option<Call> {
    let (s, e) = trim(src, s, e);
    if e == s || src.as_bytes()[e - 1] != b')' {
        return None;
    }
    let open = matching_open(src, s, e - 1)?;
    let (_, name_end) = trim(src, s, open);
    let name_start = src[s..name_end]
        .char_indices()
        .rev()
        .find(|&(_, c)| !(c.is_ascii_alphanumeric() || c == '_'))
        .map_or(s, |(i, c)| s + i + c.len_utf8());
    let name = &src[name_start..name_end];
    if !is_identifier(name) {
        return None;
    }
    let receiver = if name_start == s {
        None
    } else {
        let dot = name_start - 1;
        let method = src.as_bytes()[dot] == b'.'
            && METHODS.contains(&name)
            && receiver_start(src, s, dot) == Some(s);
        if !method {
            return None;
        }
        Some((s, dot))
    };
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
    if let Some(r) = receiver {
        args.insert(
            0,
            CallArg {
                key: None,
                value: r,
            },
        );
    }
    Some(Call {
        name: name.to_string(),
        name_span: (name_start, name_end),
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
        // A name right after a multi-byte character is not a call (found by the fuzz test).
        assert!(parse_call("ésin(;;)", 0, 9).is_none());
        // Method calls on receivers: names, calls, brackets, subscripts, chains.
        let src = "a + arange(12).reshape(3, 4) - (x + 1).reshape(2, 2)[0] + y[::2].astype(int32)";
        let calls: Vec<&str> = constructor_calls(src, 0, src.len())
            .iter()
            .map(|&(s, e)| &src[s..e])
            .collect();
        assert_eq!(
            calls,
            [
                "arange(12).reshape(3, 4)",
                "(x + 1).reshape(2, 2)",
                "y[::2].astype(int32)"
            ]
        );
        let src = "arange(6).reshape(2, 3).astype(float32)";
        let call = parse_call(src, 0, src.len()).unwrap();
        assert_eq!(call.name, "astype");
        assert_eq!(call.args[0].value, (0, 23));
        let inner = parse_call(src, 0, 23).unwrap();
        assert_eq!(
            (inner.name.as_str(), inner.args[0].value),
            ("reshape", (0, 9))
        );
        for not in [
            "1.reshape(2)",
            "a.b.reshape(2)",
            "x + y.reshape(2)",
            "[1].reshape(2)",
        ] {
            assert!(parse_call(not, 0, not.len()).is_none(), "{not}");
        }
        assert_eq!(receiver_start("a.b", 0, 1), Some(0));
        assert_eq!(receiver_start("2.5", 0, 1), None);
    }
}
