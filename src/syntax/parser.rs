//! Provides [`parse`]: a Pratt parser from tokens to [`Expr`], with Python's precedence.
//!
//! Precedence lives in one table, `infix_power`; adding an operator is one row.
//!
//! **Input safety:** every node records the height of its subtree, and the parser refuses a
//! tree taller than [`MAX_DEPTH`]. Parser recursion is bounded by the same limit, so neither
//! parsing nor any later recursive pass (checking, lowering, dropping) can overflow the stack,
//! however long the input.

use super::ast::{BinOp, Expr, ExprKind, Stmt, StmtKind, SubItem, UnaryOp};
use super::lexer::{lex, Tok, Token};
use crate::error::{Error, ErrorKind, Result, Span};

/// The tallest expression tree accepted (about 200 nested parentheses, or a chain of 200
/// binary operators, like CPython's own parser limit).
pub const MAX_DEPTH: u32 = 200;

/// Binding power of a prefix operator (`-x`, `+x`, `~x`): above `*`, below `**`.
const PREFIX_POWER: u8 = 80;

/// Binding power of a subscript `x[...]`: tighter than everything.
const POSTFIX_POWER: u8 = 100;

/// Left and right binding powers of an infix operator, Python's table from loosest to
/// tightest. Comparisons do not chain (checked in the loop); `**` is right-associative.
fn infix_power(tok: &Tok) -> Option<(BinOp, u8, u8)> {
    use BinOp::*;
    let (op, l, r) = match tok {
        Tok::Lt => (Lt, 10, 11),
        Tok::Le => (Le, 10, 11),
        Tok::EqEq => (Eq, 10, 11),
        Tok::Ne => (Ne, 10, 11),
        Tok::Ge => (Ge, 10, 11),
        Tok::Gt => (Gt, 10, 11),
        Tok::Pipe => (BitOr, 20, 21),
        Tok::Caret => (BitXor, 30, 31),
        Tok::Amp => (BitAnd, 40, 41),
        Tok::Shl => (Shl, 50, 51),
        Tok::Shr => (Shr, 50, 51),
        Tok::Plus => (Add, 60, 61),
        Tok::Minus => (Sub, 60, 61),
        Tok::Star => (Mul, 70, 71),
        Tok::Slash => (Div, 70, 71),
        Tok::SlashSlash => (FloorDiv, 70, 71),
        Tok::Percent => (Mod, 70, 71),
        // The right operand of `**` may start with a prefix operator (`2**-1`), which then
        // binds its own operand at PREFIX_POWER.
        Tok::StarStar => (Pow, 90, 89),
        _ => return None,
    };
    Some((op, l, r))
}

/// Parses one expression; the whole text must be consumed. Newlines are whitespace here.
pub fn parse(src: &str) -> Result<Expr> {
    let mut p = Parser::new(src)?;
    // Inside an expression, as inside brackets, newlines separate nothing.
    p.nesting = 1;
    if p.peek().is_none() {
        return Err(Error::new(
            ErrorKind::Syntax,
            "empty expression",
            Some(Span::new(0, src.len())),
        ));
    }
    let e = p.expr(0, 0)?;
    p.expect_end_of_statement()?;
    if let Some(t) = p.peek() {
        let span = t.span;
        return Err(Error::new(
            ErrorKind::Syntax,
            "expected the end of the expression (statements belong in a script)",
            Some(span),
        ));
    }
    Ok(e)
}

/// Parses a script: statements separated by `;` or newlines (newlines inside brackets do not
/// separate). A statement is an expression, or `target = expression` where the target is a
/// name or a subscripted name.
pub fn parse_script(src: &str) -> Result<Vec<Stmt>> {
    let mut p = Parser::new(src)?;
    let mut stmts = Vec::new();
    loop {
        while matches!(
            p.peek().map(|t| &t.tok),
            Some(Tok::Newline | Tok::Semicolon)
        ) {
            p.pos += 1;
        }
        if p.peek().is_none() {
            break;
        }
        let lhs = p.expr(0, 0)?;
        let stmt = if let Some(Token {
            tok: Tok::Assign, ..
        }) = p.peek()
        {
            p.pos += 1;
            if !matches!(lhs.kind, ExprKind::Name(_) | ExprKind::Subscript { .. }) {
                return Err(Error::new(
                    ErrorKind::Syntax,
                    "only a name or a subscripted name can be assigned to",
                    Some(lhs.span),
                ));
            }
            let value = p.expr(0, 0)?;
            Stmt {
                span: lhs.span.to(value.span),
                kind: StmtKind::Assign { target: lhs, value },
            }
        } else {
            Stmt {
                span: lhs.span,
                kind: StmtKind::Expr(lhs),
            }
        };
        stmts.push(stmt);
        p.expect_end_of_statement()?;
    }
    if stmts.is_empty() {
        return Err(Error::new(
            ErrorKind::Syntax,
            "empty script",
            Some(Span::new(0, src.len())),
        ));
    }
    Ok(stmts)
}

struct Parser<'s> {
    src: &'s str,
    tokens: Vec<Token>,
    pos: usize,
    /// Open brackets; newlines are skipped while it is positive.
    nesting: u32,
}

fn node(kind: ExprKind, span: Span, depth: u32) -> Result<Expr> {
    if depth > MAX_DEPTH {
        return Err(Error::new(
            ErrorKind::Limit,
            format!("expression is nested too deeply (more than {MAX_DEPTH} levels)"),
            Some(span),
        ));
    }
    Ok(Expr { kind, span, depth })
}

impl<'s> Parser<'s> {
    fn new(src: &'s str) -> Result<Parser<'s>> {
        Ok(Parser {
            src,
            tokens: lex(src)?,
            pos: 0,
            nesting: 0,
        })
    }

    /// Index of the next significant token (newlines are insignificant inside brackets).
    fn skip(&self) -> usize {
        let mut i = self.pos;
        while self.nesting > 0 && matches!(self.tokens.get(i).map(|t| &t.tok), Some(Tok::Newline)) {
            i += 1;
        }
        i
    }

    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.skip())
    }

    fn next(&mut self) -> Option<Token> {
        let i = self.skip();
        let t = self.tokens.get(i).cloned();
        self.pos = i + 1;
        t
    }

    /// After a statement: the end, a newline or `;`; anything else is an error.
    fn expect_end_of_statement(&mut self) -> Result<()> {
        let Some(t) = self.peek() else { return Ok(()) };
        let span = t.span;
        let msg = match t.tok {
            Tok::Newline | Tok::Semicolon if self.nesting == 0 => return Ok(()),
            Tok::Newline | Tok::Semicolon => {
                "expected the end of the expression (statements belong in a script)".to_string()
            }
            Tok::RParen => "unmatched `)`".to_string(),
            Tok::RBracket => "unmatched `]`".to_string(),
            Tok::Assign => "assignment is not allowed here (did you mean `==`?)".to_string(),
            _ => format!("expected an operator, found `{}`", self.text(span)),
        };
        Err(Error::new(ErrorKind::Syntax, msg, Some(span)))
    }

    fn text(&self, span: Span) -> &str {
        &self.src[span.start..span.end]
    }

    fn end_span(&self) -> Span {
        Span::new(self.src.len(), self.src.len())
    }

    /// Parses an expression whose operators bind at least `min_bp`; `level` counts the
    /// recursion so far (bounded by MAX_DEPTH).
    fn expr(&mut self, min_bp: u8, level: u32) -> Result<Expr> {
        if level > MAX_DEPTH {
            let span = self.peek().map_or(self.end_span(), |t| t.span);
            return node(ExprKind::Bool(false), span, MAX_DEPTH + 1);
        }
        let mut lhs = self.prefix(level)?;
        let mut last_cmp: Option<Span> = None;
        while let Some(t) = self.peek() {
            let tspan = t.span;
            if t.tok == Tok::Name {
                let word = self.text(tspan);
                let hint = match word {
                    "and" => Some("`&`"),
                    "or" => Some("`|`"),
                    "not" | "is" | "in" | "if" => None,
                    _ => break,
                };
                let msg = match hint {
                    Some(h) => format!(
                        "`{word}` is not supported; use {h} (with parentheses around comparisons)"
                    ),
                    None => format!("`{word}` is not supported in numjit expressions"),
                };
                return Err(Error::new(ErrorKind::Syntax, msg, Some(tspan)));
            }
            if t.tok == Tok::LBracket {
                if POSTFIX_POWER < min_bp {
                    break;
                }
                lhs = self.subscript(lhs, level)?;
                continue;
            }
            let Some((op, lbp, rbp)) = infix_power(&t.tok) else {
                break;
            };
            if lbp < min_bp {
                break;
            }
            if op.is_comparison() {
                if let Some(prev) = last_cmp {
                    return Err(Error::new(
                        ErrorKind::Syntax,
                        "comparisons cannot be chained; write `(a < b) & (b < c)`, and note that `&` and `|` bind tighter than comparisons",
                        Some(prev.to(tspan)),
                    ));
                }
                last_cmp = Some(tspan);
            }
            self.pos += 1;
            let rhs = self.expr(rbp, level + 1)?;
            let span = lhs.span.to(rhs.span);
            let depth = lhs.depth.max(rhs.depth) + 1;
            lhs = node(
                ExprKind::Binary {
                    op,
                    lhs: Box::new(lhs),
                    rhs: Box::new(rhs),
                },
                span,
                depth,
            )?;
        }
        Ok(lhs)
    }

    fn prefix(&mut self, level: u32) -> Result<Expr> {
        let Some(t) = self.next() else {
            return Err(Error::new(
                ErrorKind::Syntax,
                "unexpected end of expression",
                Some(self.end_span()),
            ));
        };
        let span = t.span;
        let text = self.text(span);
        match t.tok {
            Tok::Int => {
                let v = parse_int(text).ok_or_else(|| {
                    Error::new(
                        ErrorKind::Syntax,
                        "integer literal does not fit in int64",
                        Some(span),
                    )
                })?;
                node(ExprKind::Int(v), span, 1)
            }
            Tok::Float => {
                let v: f64 = text.replace('_', "").parse().map_err(|_| {
                    Error::new(ErrorKind::Syntax, "malformed float literal", Some(span))
                })?;
                node(ExprKind::Float(v), span, 1)
            }
            Tok::Name => match text {
                "True" => node(ExprKind::Bool(true), span, 1),
                "False" => node(ExprKind::Bool(false), span, 1),
                "not" => Err(Error::new(
                    ErrorKind::Syntax,
                    "`not` is not supported; use `~` (logical not on bool)",
                    Some(span),
                )),
                "and" | "or" | "is" | "in" | "if" | "else" | "lambda" => Err(Error::new(
                    ErrorKind::Syntax,
                    format!("unexpected keyword `{text}`"),
                    Some(span),
                )),
                _ => {
                    let name = text.to_string();
                    if self.peek().map(|t| &t.tok) == Some(&Tok::LParen) {
                        self.call(name, span, level)
                    } else {
                        node(ExprKind::Name(name), span, 1)
                    }
                }
            },
            Tok::Minus | Tok::Plus | Tok::Tilde => {
                let op = match t.tok {
                    Tok::Minus => UnaryOp::Neg,
                    Tok::Plus => UnaryOp::Pos,
                    _ => UnaryOp::Invert,
                };
                let arg = self.expr(PREFIX_POWER, level + 1)?;
                let full = span.to(arg.span);
                let depth = arg.depth + 1;
                node(
                    ExprKind::Unary {
                        op,
                        arg: Box::new(arg),
                    },
                    full,
                    depth,
                )
            }
            Tok::LParen => {
                self.nesting += 1;
                let inner = self.expr(0, level + 1);
                self.nesting -= 1;
                let mut inner = inner?;
                self.nesting += 1;
                let close = self.next();
                self.nesting -= 1;
                match close {
                    Some(Token {
                        tok: Tok::RParen,
                        span: close,
                    }) => {
                        inner.span = span.to(close);
                        // Parentheses count towards the depth so that `((((x))))` is bounded.
                        let depth = inner.depth + 1;
                        let kind = inner.kind;
                        node(kind, span.to(close), depth)
                    }
                    Some(other) => Err(Error::new(
                        ErrorKind::Syntax,
                        format!("expected `)`, found `{}`", self.text(other.span)),
                        Some(other.span),
                    )),
                    None => Err(Error::new(ErrorKind::Syntax, "unclosed `(`", Some(span))),
                }
            }
            Tok::Bang => Err(Error::new(
                ErrorKind::Syntax,
                "`!` is not an operator; use `~` for logical not",
                Some(span),
            )),
            _ => Err(Error::new(
                ErrorKind::Syntax,
                format!("expected an operand, found `{text}`"),
                Some(span),
            )),
        }
    }

    fn call(&mut self, name: String, name_span: Span, level: u32) -> Result<Expr> {
        self.nesting += 1;
        let r = self.call_inner(name, name_span, level);
        self.nesting -= 1;
        r
    }

    /// `base[items]`, after `base`; `[` is next.
    fn subscript(&mut self, base: Expr, level: u32) -> Result<Expr> {
        self.nesting += 1;
        let r = self.subscript_inner(base, level);
        self.nesting -= 1;
        r
    }

    fn subscript_inner(&mut self, base: Expr, level: u32) -> Result<Expr> {
        let open = self.next().map(|t| t.span).unwrap_or(base.span);
        let mut items = Vec::new();
        let mut depth = base.depth;
        loop {
            let item = self.sub_item(level)?;
            if let SubItem::Index(e) = &item {
                depth = depth.max(e.depth);
            }
            if let SubItem::Slice {
                start, stop, step, ..
            } = &item
            {
                for e in [start, stop, step].into_iter().flatten() {
                    depth = depth.max(e.depth);
                }
            }
            items.push(item);
            match self.next() {
                Some(Token {
                    tok: Tok::Comma, ..
                }) => continue,
                Some(Token {
                    tok: Tok::RBracket,
                    span: close,
                }) => {
                    let span = base.span.to(close);
                    let kind = ExprKind::Subscript {
                        base: Box::new(base),
                        items,
                    };
                    return node(kind, span, depth + 1);
                }
                Some(other) => {
                    return Err(Error::new(
                        ErrorKind::Syntax,
                        format!(
                            "expected `,` or `]` in a subscript, found `{}`",
                            self.text(other.span)
                        ),
                        Some(other.span),
                    ))
                }
                None => {
                    return Err(Error::new(ErrorKind::Syntax, "unclosed `[`", Some(open)));
                }
            }
        }
    }

    /// One subscript item: `i`, `...`, or `start:stop:step` with every part optional.
    fn sub_item(&mut self, level: u32) -> Result<SubItem> {
        let is = |p: &Self, tok: Tok| p.peek().map(|t| &t.tok) == Some(&tok);
        let begin = self.peek().map_or(self.end_span(), |t| t.span);
        if is(self, Tok::Ellipsis) {
            self.pos = self.skip() + 1;
            return Ok(SubItem::Ellipsis(begin));
        }
        if is(self, Tok::RBracket) || is(self, Tok::Comma) {
            return Err(Error::new(
                ErrorKind::Syntax,
                "expected an index, a slice or `...`",
                Some(begin),
            ));
        }
        let part = |p: &mut Self| -> Result<Option<Expr>> {
            match p.peek().map(|t| &t.tok) {
                Some(Tok::Colon | Tok::Comma | Tok::RBracket) | None => Ok(None),
                _ => p.expr(0, level + 1).map(Some),
            }
        };
        let start = part(self)?;
        if !is(self, Tok::Colon) {
            return match start {
                Some(e) => Ok(SubItem::Index(e)),
                None => Err(Error::new(
                    ErrorKind::Syntax,
                    "expected an index",
                    Some(begin),
                )),
            };
        }
        let mut end = self.next().map_or(begin, |t| t.span);
        let stop = part(self)?;
        let mut step = None;
        if is(self, Tok::Colon) {
            end = self.next().map_or(end, |t| t.span);
            step = part(self)?;
        }
        for e in [&start, &stop, &step].into_iter().flatten() {
            end = end.to(e.span);
        }
        Ok(SubItem::Slice {
            start,
            stop,
            step,
            span: begin.to(end),
        })
    }

    fn call_inner(&mut self, name: String, name_span: Span, level: u32) -> Result<Expr> {
        let open = self.next().map(|t| t.span).unwrap_or(name_span);
        let mut args: Vec<Expr> = Vec::new();
        loop {
            // `)` closes the call: right after `(`, or after a trailing comma.
            if let Some(Token {
                tok: Tok::RParen,
                span: close,
            }) = self.peek().cloned()
            {
                self.pos += 1;
                let depth = args.iter().map(|a| a.depth).max().unwrap_or(0) + 1;
                let span = name_span.to(close);
                let kind = ExprKind::Call {
                    name,
                    name_span,
                    args,
                };
                return node(kind, span, depth);
            }
            let arg = self.expr(0, level + 1)?;
            if let Some(Token {
                tok: Tok::Assign,
                span,
            }) = self.peek()
            {
                return Err(Error::new(
                    ErrorKind::Syntax,
                    format!("`{name}` takes no keyword arguments"),
                    Some(arg.span.to(*span)),
                ));
            }
            args.push(arg);
            match self.peek().cloned() {
                Some(Token {
                    tok: Tok::Comma, ..
                }) => self.pos += 1,
                Some(Token {
                    tok: Tok::RParen, ..
                }) => {}
                Some(other) => {
                    return Err(Error::new(
                        ErrorKind::Syntax,
                        format!(
                            "expected `,` or `)` in the call of `{name}`, found `{}`",
                            self.text(other.span)
                        ),
                        Some(other.span),
                    ))
                }
                None => {
                    return Err(Error::new(
                        ErrorKind::Syntax,
                        format!("unclosed `(` in the call of `{name}`"),
                        Some(open),
                    ))
                }
            }
        }
    }
}

/// Parses a Python integer literal (decimal, 0x, 0o, 0b, with `_` separators).
fn parse_int(text: &str) -> Option<i64> {
    let t = text.replace('_', "");
    let (digits, radix) = match t.get(..2) {
        Some("0x") | Some("0X") => (&t[2..], 16),
        Some("0o") | Some("0O") => (&t[2..], 8),
        Some("0b") | Some("0B") => (&t[2..], 2),
        _ => (&t[..], 10),
    };
    i64::from_str_radix(digits, radix).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> String {
        parse(s)
            .map(|e| e.to_string())
            .unwrap_or_else(|e| format!("error: {}", e.message()))
    }

    #[test]
    fn precedence_follows_python() {
        assert_eq!(p("-2**2"), "(-(2 ** 2))");
        assert_eq!(p("2**3**2"), "(2 ** (3 ** 2))");
        assert_eq!(p("2**-1"), "(2 ** (-1))");
        assert_eq!(p("a**-b*c"), "((a ** (-b)) * c)");
        assert_eq!(p("-a*b"), "((-a) * b)");
        assert_eq!(p("a + b * c - d"), "((a + (b * c)) - d)");
        assert_eq!(p("a | b ^ c & d"), "(a | (b ^ (c & d)))");
        assert_eq!(p("a << 1 + 2"), "(a << (1 + 2))");
        assert_eq!(p("(a < b) & (b < c)"), "((a < b) & (b < c))");
        assert_eq!(p("~a | b"), "((~a) | b)");
        assert_eq!(p("a // b % c"), "((a // b) % c)");
        assert_eq!(p("where(a > 3, b, c)"), "where((a > 3), b, c)");
        assert_eq!(p("f()"), "f()");
        assert_eq!(p("f(a,)"), "f(a)");
    }

    #[test]
    fn literals() {
        assert_eq!(p("1e-3"), "0.001");
        assert_eq!(p("2."), "2.0");
        assert_eq!(p(".5"), "0.5");
        assert_eq!(p("1_000"), "1000");
        assert_eq!(p("0x10"), "16");
        assert_eq!(p("True"), "True");
        assert_eq!(p("9223372036854775807"), "9223372036854775807");
        assert!(p("9223372036854775808").starts_with("error: integer literal"));
    }

    #[test]
    fn refusals_suggest_the_operator() {
        assert!(p("a < b < c").contains("cannot be chained"));
        assert!(p("a > 1 & a < 3").contains("cannot be chained"));
        assert!(p("a and b").contains("use `&`"));
        assert!(p("a or b").contains("use `|`"));
        assert!(p("not a").contains("use `~`"));
        assert!(p("a +").contains("unexpected end"));
        assert!(p("(a").contains("unclosed"));
        assert!(p("a)").contains("unmatched"));
        assert!(p("a b").contains("expected an operator"));
        assert!(p("a $ b").contains("unexpected character"));
        assert!(p("").contains("empty"));
    }

    #[test]
    fn depth_is_bounded() {
        let deep = format!("{}a{}", "(".repeat(100_000), ")".repeat(100_000));
        assert!(p(&deep).contains("nested too deeply"));
        let long = vec!["a"; 50_000].join("+");
        assert!(p(&long).contains("nested too deeply"));
        let unary = format!("{}a", "-".repeat(100_000));
        assert!(p(&unary).contains("nested too deeply"));
        let pow = vec!["a"; 50_000].join("**");
        assert!(p(&pow).contains("nested too deeply"));
    }
}
