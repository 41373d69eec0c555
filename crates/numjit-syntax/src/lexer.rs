//! Owns the token stream (a logos lexer) with the byte span of every token, and string-literal unescaping.
//! Must not touch dtypes, shapes, Cranelift or threads.
//!
//! Provides the token stream (a [`logos`] lexer) with the byte span of every token, and
//! [`unescape`], which turns a string literal's text into its bytes.

use crate::diag::{Error, ErrorKind, Result, Span};
use logos::Logos;

/// A token of the expression language.
#[derive(Logos, Clone, Debug, PartialEq)]
#[logos(skip r"[ \t\r\f]+")]
#[logos(skip r"\\\r?\n")]
#[logos(skip r"#[^\n]*")]
#[allow(missing_docs)]
pub enum Tok {
    /// An imaginary literal: a decimal integer or float followed by `j` or `J` (`2j`, `1.5j`,
    /// `1e3J`, `.5j`), as Python's.
    #[regex(r"[0-9][0-9_]*(\.[0-9_]*)?([eE][+-]?[0-9][0-9_]*)?[jJ]")]
    #[regex(r"\.[0-9][0-9_]*([eE][+-]?[0-9][0-9_]*)?[jJ]")]
    Imag,
    /// A byte-string literal, `'...'` or `"..."`, optionally prefixed by `b` or `B`; escapes
    /// are resolved by [`unescape`]. A string may not span lines.
    #[regex(r#"[bB]?'([^'\\\n]|\\[^\n])*'"#)]
    #[regex(r#"[bB]?"([^"\\\n]|\\[^\n])*""#)]
    Str,
    #[regex(r"[0-9][0-9_]*\.[0-9_]*([eE][+-]?[0-9][0-9_]*)?", priority = 3)]
    #[regex(r"\.[0-9][0-9_]*([eE][+-]?[0-9][0-9_]*)?")]
    #[regex(r"[0-9][0-9_]*[eE][+-]?[0-9][0-9_]*")]
    Float,
    #[regex(r"[0-9][0-9_]*")]
    #[regex(r"0[xX][0-9a-fA-F_]+")]
    #[regex(r"0[oO][0-7_]+")]
    #[regex(r"0[bB][01_]+")]
    Int,
    #[regex(r"[A-Za-z_][A-Za-z0-9_]*")]
    Name,
    #[token("+")]
    Plus,
    #[token("-")]
    Minus,
    #[token("*")]
    Star,
    #[token("**")]
    StarStar,
    #[token("/")]
    Slash,
    #[token("//")]
    SlashSlash,
    #[token("%")]
    Percent,
    #[token("<<")]
    Shl,
    #[token(">>")]
    Shr,
    #[token("&")]
    Amp,
    #[token("|")]
    Pipe,
    #[token("^")]
    Caret,
    #[token("~")]
    Tilde,
    #[token("<")]
    Lt,
    #[token("<=")]
    Le,
    #[token("==")]
    EqEq,
    #[token("!=")]
    Ne,
    #[token(">=")]
    Ge,
    #[token(">")]
    Gt,
    #[token("(")]
    LParen,
    #[token(")")]
    RParen,
    #[token(",")]
    Comma,
    #[token("=")]
    Assign,
    #[token("!")]
    Bang,
    #[token("[")]
    LBracket,
    #[token("]")]
    RBracket,
    #[token(":")]
    Colon,
    #[token(";")]
    Semicolon,
    #[token("...")]
    Ellipsis,
    #[token(".")]
    Dot,
    #[token("\n")]
    Newline,
}

/// A token with its text span.
#[derive(Clone, Debug, PartialEq)]
pub struct Token {
    /// The token kind.
    pub tok: Tok,
    /// Where it is.
    pub span: Span,
}

/// Splits `src` into tokens; an unknown character is a syntax error pointing at it.
pub fn lex(src: &str) -> Result<Vec<Token>> {
    let mut out = Vec::new();
    let mut lexer = Tok::lexer(src);
    while let Some(t) = lexer.next() {
        let r = lexer.span();
        let span = Span::new(r.start, r.end);
        match t {
            Ok(tok) => out.push(Token { tok, span }),
            Err(()) => {
                let c = src[r.start..].chars().next().unwrap_or(' ');
                let end = r.start + c.len_utf8();
                // An opening quote (perhaps after the `b` prefix) without its closing one on
                // the same line.
                let quote = |k: usize| matches!(src.as_bytes().get(k), Some(b'\'' | b'"'));
                let prefixed = matches!(c, 'b' | 'B') && quote(r.start + 1);
                if quote(r.start) || prefixed {
                    let line_end = src[r.start..].find('\n').map_or(src.len(), |i| r.start + i);
                    return Err(Error::new(
                        ErrorKind::Syntax,
                        "unterminated string literal (a string ends on the line it starts)",
                        Some(Span::new(r.start, line_end)),
                    ));
                }
                if c == '.' {
                    if let Some(e) = attribute_error(src, r.start) {
                        return Err(e);
                    }
                }
                return Err(Error::new(
                    ErrorKind::Syntax,
                    format!("unexpected character `{c}`"),
                    Some(Span::new(r.start, end)),
                ));
            }
        }
    }
    Ok(out)
}

/// The error for an attribute `x.name` (the `.` at byte `dot`), which numjit spells as a
/// function: `x.sum()` → `sum(x)`. `None` if no name follows the dot.
fn attribute_error(src: &str, dot: usize) -> Option<Error> {
    let rest = &src[dot + 1..];
    let len = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(rest.len());
    let name = &rest[..len];
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    // The receiver as typed, if it is a plain name (else `x`).
    let before = &src[..dot];
    let start = before
        .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .map_or(0, |i| i + 1);
    let recv = match &before[start..] {
        "" => "x",
        r => r,
    };
    Some(attribute_refusal(recv, name, Span::new(dot, dot + 1 + len)))
}

/// The error for `recv.name` when `name` is not one of NumPy's attributes numjit has
/// (`.real`, `.imag`): numjit spells methods as functions (`x.sum()` → `sum(x)`), with a
/// suggestion for near misses. `span` covers `.name`.
pub(crate) fn attribute_refusal(recv: &str, name: &str, span: Span) -> Error {
    let as_function = [
        "sum", "prod", "min", "max", "mean", "any", "all", "real", "imag", "conj", "copy", "round",
        "clip", "cbrt", "square", "sqrt", "exp", "log", "abs",
    ];
    let no = "numjit has no methods, and no attributes but `.real` and `.imag`";
    let msg = if as_function.contains(&name) {
        format!("{no}; `{recv}.{name}` is written `{name}({recv})`")
    } else if let Some(f) = as_function.iter().find(|f| near(name, f)) {
        format!("{no}; did you mean `{f}({recv})`?")
    } else {
        format!("{no} (`.{name}`); functions are called as `f({recv})`")
    };
    Error::new(ErrorKind::Syntax, msg, Some(span))
}

/// Whether `a` is one edit (or a swap) away from `b`: the attribute typos worth a suggestion.
fn near(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len().abs_diff(b.len()) > 1 {
        return false;
    }
    let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let suffix = a
        .iter()
        .rev()
        .zip(b.iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    prefix + suffix + 1 >= a.len().max(b.len())
        || (a.len() == b.len() && {
            let diff: Vec<usize> = (0..a.len()).filter(|&i| a[i] != b[i]).collect();
            diff.len() == 2
                && diff[1] == diff[0] + 1
                && a[diff[0]] == b[diff[1]]
                && a[diff[1]] == b[diff[0]]
        })
}

/// The bytes of a string literal token (`text` is the token, `start` its byte offset in the
/// source, for error spans): the prefix and quotes are dropped and Python's escapes resolved
/// (`\\ \' \" \a \b \f \n \r \t \v`, octal `\o`, `\oo`, `\ooo` up to `\377`, and hex
/// `\xHH`). Strings are byte strings, as numexpr's: a non-ASCII character, or an escape
/// Python's bytes literals do not have, is an error pointing at it.
pub fn unescape(text: &str, start: usize) -> Result<Vec<u8>> {
    let bytes = text.as_bytes();
    let open = if matches!(bytes.first(), Some(b'b' | b'B')) {
        1
    } else {
        0
    };
    let body = &text[open + 1..text.len().saturating_sub(1).max(open + 1)];
    let base = start + open + 1;
    let err = |msg: String, from: usize, to: usize| {
        Err(Error::new(
            ErrorKind::Syntax,
            msg,
            Some(Span::new(base + from, base + to)),
        ))
    };
    let mut out = Vec::with_capacity(body.len());
    let mut chars = body.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if !c.is_ascii() {
            return err(
                "string literals must be ASCII (byte strings)".to_string(),
                i,
                i + c.len_utf8(),
            );
        }
        if c != '\\' {
            out.push(c as u8);
            continue;
        }
        let Some((j, e)) = chars.next() else {
            return err("a string cannot end in a lone `\\`".to_string(), i, i + 1);
        };
        let simple = match e {
            '\\' => Some(b'\\'),
            '\'' => Some(b'\''),
            '"' => Some(b'"'),
            'a' => Some(0x07),
            'b' => Some(0x08),
            'f' => Some(0x0c),
            'n' => Some(b'\n'),
            'r' => Some(b'\r'),
            't' => Some(b'\t'),
            'v' => Some(0x0b),
            _ => None,
        };
        if let Some(b) = simple {
            out.push(b);
            continue;
        }
        match e {
            '0'..='7' => {
                let mut v = e as u32 - '0' as u32;
                let mut end = j + 1;
                for _ in 0..2 {
                    match chars.peek() {
                        Some(&(k, d @ '0'..='7')) => {
                            v = v * 8 + (d as u32 - '0' as u32);
                            end = k + 1;
                            chars.next();
                        }
                        _ => break,
                    }
                }
                if v > 0o377 {
                    return err(
                        format!(
                            "octal escape `{}` is out of range for a byte (at most `\\377`)",
                            &body[i..end]
                        ),
                        i,
                        end,
                    );
                }
                out.push(v as u8);
            }
            'x' => {
                let mut v = 0u8;
                let mut end = j + 1;
                for _ in 0..2 {
                    match chars.peek() {
                        Some(&(k, d)) if d.is_ascii_hexdigit() => {
                            v = v * 16 + d.to_digit(16).unwrap_or(0) as u8;
                            end = k + 1;
                            chars.next();
                        }
                        _ => {
                            return err(
                                "`\\x` must be followed by two hex digits".to_string(),
                                i,
                                end,
                            )
                        }
                    }
                }
                out.push(v);
            }
            other => {
                let end = j + other.len_utf8();
                return err(
                    format!(
                        "unknown escape `\\{other}` in a string literal (write `\\\\` for a backslash)"
                    ),
                    i,
                    end,
                );
            }
        }
    }
    Ok(out)
}
