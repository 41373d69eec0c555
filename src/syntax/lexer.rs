//! Provides the token stream (a [`logos`] lexer) with the byte span of every token.

use crate::error::{Error, ErrorKind, Result, Span};
use logos::Logos;

/// A token of the expression language.
#[derive(Logos, Clone, Debug, PartialEq)]
#[logos(skip r"[ \t\r\f]+")]
#[logos(skip r"\\\r?\n")]
#[logos(skip r"#[^\n]*")]
#[allow(missing_docs)]
pub enum Tok {
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
                let msg = match c {
                    '\'' | '"' => "string literals are not supported".to_string(),
                    _ => format!("unexpected character `{c}`"),
                };
                return Err(Error::new(
                    ErrorKind::Syntax,
                    msg,
                    Some(Span::new(r.start, end)),
                ));
            }
        }
    }
    Ok(out)
}
