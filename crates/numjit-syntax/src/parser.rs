//! Owns parsing: a Pratt parser from tokens to `Expr` and statements, with Python's precedence and a depth limit.
//! Must not touch dtypes, shapes, Cranelift or threads.
//!
//! Provides [`parse`]: a Pratt parser from tokens to [`Expr`], with Python's precedence.
//!
//! Precedence lives in one table, `infix_power`; adding an operator is one row.
//!
//! Calls of `sum`, `prod`, `min` and `max` become [`ExprKind::Reduce`] nodes, with the axis
//! given as a second argument or as `axis=` (an integer literal or `None`); they are refused
//! inside subscripts, and every other function refuses keyword arguments.
//!
//! **Input safety:** every node records the height of its subtree, and the parser refuses a
//! tree taller than [`MAX_DEPTH`]. Parser recursion is bounded by the same limit, so neither
//! parsing nor any later recursive pass (checking, lowering, dropping) can overflow the stack,
//! however long the input.

use super::ast::{BinOp, Expr, ExprKind, ReduceOp, Stmt, StmtKind, SubItem, UnaryOp};
use super::lexer::{lex, unescape, Tok, Token};
use crate::diag::{Error, ErrorKind, Result, Span};

/// The tallest expression tree accepted (about 200 nested parentheses, or a chain of 200
/// binary operators, like CPython's own parser limit).
pub const MAX_DEPTH: u32 = 200;

/// The longest text (in bytes) the parser reads: tokens and syntax trees take a few times the
/// text's size, so this bounds what parsing can allocate (a script of 100 000 statements is
/// about 1 MiB).
pub const MAX_SOURCE: usize = 8 << 20;

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
    /// Open subscripts; reductions are refused inside one (a bound is checked, not
    /// evaluated, before anything runs).
    subscripts: u32,
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
        if src.len() > MAX_SOURCE {
            return Err(Error::new(
                ErrorKind::Limit,
                format!(
                    "the text is {} bytes long; numjit reads at most {MAX_SOURCE} (8 MiB)",
                    src.len()
                ),
                None,
            ));
        }
        Ok(Parser {
            src,
            tokens: lex(src)?,
            pos: 0,
            nesting: 0,
            subscripts: 0,
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

    /// The significant token after the next one.
    fn peek2(&self) -> Option<&Token> {
        let mut i = self.skip() + 1;
        while self.nesting > 0 && matches!(self.tokens.get(i).map(|t| &t.tok), Some(Tok::Newline)) {
            i += 1;
        }
        self.tokens.get(i)
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
    ///
    /// The functions on the recursive path (`expr`, `prefix`, `unary`, `paren`, `call_inner`,
    /// `subscript_inner`, `sub_item`, `sub_part`) do little besides recursing: token
    /// classification, node building and error messages live in helpers that return before
    /// the recursion, so that each level costs little stack even in debug builds.
    fn expr(&mut self, min_bp: u8, level: u32) -> Result<Expr> {
        if level > MAX_DEPTH {
            return self.too_deep();
        }
        let mut lhs = self.prefix(level)?;
        let mut last_cmp: Option<Span> = None;
        loop {
            match self.infix(min_bp, &mut last_cmp)? {
                Infix::Stop => return Ok(lhs),
                Infix::Subscript => lhs = self.subscript(lhs, level)?,
                Infix::Attribute => lhs = self.attribute(lhs)?,
                Infix::Binary(op, rbp) => {
                    let rhs = self.expr(rbp, level + 1)?;
                    lhs = binary(op, lhs, rhs)?;
                }
            }
        }
    }

    #[cold]
    #[inline(never)]
    fn too_deep(&self) -> Result<Expr> {
        let span = self.peek().map_or(self.end_span(), |t| t.span);
        node(ExprKind::Bool(false), span, MAX_DEPTH + 1)
    }

    /// What follows an operand: an infix operator binding at least `min_bp` (consumed), a
    /// subscript, or the end of this operand's expression.
    #[inline(never)]
    fn infix(&mut self, min_bp: u8, last_cmp: &mut Option<Span>) -> Result<Infix> {
        let Some(t) = self.peek() else {
            return Ok(Infix::Stop);
        };
        let tspan = t.span;
        if t.tok == Tok::Name {
            let word = self.text(tspan);
            let hint = match word {
                "and" => Some("`&`"),
                "or" => Some("`|`"),
                "not" | "is" | "in" => None,
                "if" => {
                    return Err(Error::new(
                        ErrorKind::Syntax,
                        "conditional expressions are not supported; write `a if c else b` as `where(c, a, b)`",
                        Some(tspan),
                    ))
                }
                _ => return Ok(Infix::Stop),
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
            return Ok(if POSTFIX_POWER < min_bp {
                Infix::Stop
            } else {
                Infix::Subscript
            });
        }
        if t.tok == Tok::Dot {
            return Ok(if POSTFIX_POWER < min_bp {
                Infix::Stop
            } else {
                Infix::Attribute
            });
        }
        let Some((op, lbp, rbp)) = infix_power(&t.tok) else {
            return Ok(Infix::Stop);
        };
        if lbp < min_bp {
            return Ok(Infix::Stop);
        }
        if op.is_comparison() {
            if let Some(prev) = *last_cmp {
                return Err(Error::new(
                    ErrorKind::Syntax,
                    "comparisons cannot be chained; write `(a < b) & (b < c)`, and note that `&` and `|` bind tighter than comparisons",
                    Some(prev.to(tspan)),
                ));
            }
            *last_cmp = Some(tspan);
        }
        self.pos = self.skip() + 1;
        Ok(Infix::Binary(op, rbp))
    }

    fn prefix(&mut self, level: u32) -> Result<Expr> {
        let Some(t) = self.next() else {
            return self.unexpected_end();
        };
        match t.tok {
            Tok::Minus | Tok::Plus | Tok::Tilde => self.unary(t, level),
            Tok::LParen => self.paren(t.span, level),
            Tok::Name if self.is_call(t.span) => self.call(t.span, level),
            _ => self.atom(t),
        }
    }

    #[cold]
    #[inline(never)]
    fn unexpected_end(&self) -> Result<Expr> {
        Err(Error::new(
            ErrorKind::Syntax,
            "unexpected end of expression",
            Some(self.end_span()),
        ))
    }

    /// Whether the name at `span` starts a call (`(` follows; keywords never do).
    fn is_call(&self, span: Span) -> bool {
        let keyword = matches!(
            self.text(span),
            "True" | "False" | "not" | "and" | "or" | "is" | "in" | "if" | "else" | "lambda"
        );
        !keyword && self.peek().map(|t| &t.tok) == Some(&Tok::LParen)
    }

    /// A prefix operator and its operand.
    fn unary(&mut self, t: Token, level: u32) -> Result<Expr> {
        let op = match t.tok {
            Tok::Minus => UnaryOp::Neg,
            Tok::Plus => UnaryOp::Pos,
            _ => UnaryOp::Invert,
        };
        let arg = self.expr(PREFIX_POWER, level + 1)?;
        unary(op, t.span, arg)
    }

    /// A parenthesised expression, after `(`.
    fn paren(&mut self, open: Span, level: u32) -> Result<Expr> {
        self.nesting += 1;
        let inner = self.expr(0, level + 1);
        self.nesting -= 1;
        self.close_paren(open, inner?)
    }

    /// `)` after a parenthesised expression.
    #[inline(never)]
    fn close_paren(&mut self, open: Span, inner: Expr) -> Result<Expr> {
        self.nesting += 1;
        let close = self.next();
        self.nesting -= 1;
        match close {
            Some(Token {
                tok: Tok::RParen,
                span: close,
            }) => {
                // Parentheses count towards the depth so that `((((x))))` is bounded.
                let depth = inner.depth + 1;
                node(inner.kind, open.to(close), depth)
            }
            Some(other) => Err(Error::new(
                ErrorKind::Syntax,
                format!("expected `)`, found `{}`", self.text(other.span)),
                Some(other.span),
            )),
            None => Err(Error::new(ErrorKind::Syntax, "unclosed `(`", Some(open))),
        }
    }

    /// An operand that does not recurse: a literal, a name, or an error.
    #[inline(never)]
    fn atom(&self, t: Token) -> Result<Expr> {
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
            Tok::Imag => {
                let digits = text[..text.len() - 1].replace('_', "");
                let v: f64 = digits.parse().map_err(|_| {
                    Error::new(ErrorKind::Syntax, "malformed imaginary literal", Some(span))
                })?;
                node(ExprKind::Imag(v), span, 1)
            }
            Tok::Str => {
                let bytes = unescape(text, span.start)?;
                node(ExprKind::Str(bytes), span, 1)
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
                _ => node(ExprKind::Name(text.to_string()), span, 1),
            },
            Tok::Bang => Err(Error::new(
                ErrorKind::Syntax,
                "`!` is not an operator; use `~` for logical not",
                Some(span),
            )),
            Tok::LBracket => Err(Error::new(
                ErrorKind::Syntax,
                "lists are not supported: fancy indexing `x[[0, 2]]` cannot be a view; use a slice \
                 (`x[0:3:2]`) or one index at a time (`x[0]`, `x[2]`)",
                Some(span),
            )),
            _ => Err(Error::new(
                ErrorKind::Syntax,
                format!("expected an operand, found `{text}`"),
                Some(span),
            )),
        }
    }

    /// A call `name(...)`; `(` is next.
    fn call(&mut self, name_span: Span, level: u32) -> Result<Expr> {
        self.nesting += 1;
        let r = self.call_inner(name_span, level);
        self.nesting -= 1;
        r
    }

    /// `base[items]`, after `base`; `[` is next.
    /// `base.real` or `base.imag` (the `.` is next): NumPy's attributes, the same as the
    /// calls `real(base)` and `imag(base)`.
    #[inline(never)]
    fn attribute(&mut self, base: Expr) -> Result<Expr> {
        let dot = self.next().map(|t| t.span).unwrap_or(base.span);
        let attr = match self.next() {
            Some(Token {
                tok: Tok::Name,
                span,
            }) => span,
            other => {
                let at = other.map_or(dot, |t| t.span);
                return Err(Error::new(
                    ErrorKind::Syntax,
                    "expected `real` or `imag` after `.`",
                    Some(at),
                ));
            }
        };
        let name = self.text(attr);
        if name != "real" && name != "imag" {
            let recv = match &base.kind {
                ExprKind::Name(n) => n.as_str(),
                _ => "x",
            };
            return Err(crate::lexer::attribute_refusal(recv, name, dot.to(attr)));
        }
        let span = base.span.to(attr);
        let depth = base.depth + 1;
        node(
            ExprKind::Call {
                name: name.to_string(),
                name_span: attr,
                args: vec![base],
            },
            span,
            depth,
        )
    }

    fn subscript(&mut self, base: Expr, level: u32) -> Result<Expr> {
        self.nesting += 1;
        self.subscripts += 1;
        let r = self.subscript_inner(base, level);
        self.subscripts -= 1;
        self.nesting -= 1;
        r
    }

    fn subscript_inner(&mut self, base: Expr, level: u32) -> Result<Expr> {
        let open = self.next().map(|t| t.span).unwrap_or(base.span);
        let mut items = Vec::new();
        loop {
            let item = self.sub_item(level)?;
            items.push(item);
            if let Some(close) = self.after_sub_item(open)? {
                return subscript_node(base, items, close);
            }
        }
    }

    /// After a subscript item: `,` (consumed; `None`) or `]` (consumed; its span).
    #[inline(never)]
    fn after_sub_item(&mut self, open: Span) -> Result<Option<Span>> {
        match self.next() {
            Some(Token {
                tok: Tok::Comma, ..
            }) => Ok(None),
            Some(Token {
                tok: Tok::RBracket,
                span,
            }) => Ok(Some(span)),
            Some(other) => Err(Error::new(
                ErrorKind::Syntax,
                format!(
                    "expected `,` or `]` in a subscript, found `{}`",
                    self.text(other.span)
                ),
                Some(other.span),
            )),
            None => Err(Error::new(ErrorKind::Syntax, "unclosed `[`", Some(open))),
        }
    }

    fn next_is(&self, tok: Tok) -> bool {
        self.peek().map(|t| &t.tok) == Some(&tok)
    }

    /// One subscript item: `i`, `...`, or `start:stop:step` with every part optional.
    fn sub_item(&mut self, level: u32) -> Result<SubItem> {
        let begin = self.peek().map_or(self.end_span(), |t| t.span);
        if self.next_is(Tok::Ellipsis) {
            self.pos = self.skip() + 1;
            return Ok(SubItem::Ellipsis(begin));
        }
        if self.next_is(Tok::RBracket) || self.next_is(Tok::Comma) {
            return sub_item_error("expected an index, a slice or `...`", begin);
        }
        if self
            .peek()
            .is_some_and(|t| t.tok == Tok::Name && self.text(t.span) == "None")
        {
            return sub_item_error(
                "`None` (NumPy's newaxis) is not supported in subscripts; broadcasting already \
                 aligns trailing axes, so bind a column as an array of shape (n, 1)",
                begin,
            );
        }
        let start = self.sub_part(level)?;
        if !self.next_is(Tok::Colon) {
            return match start {
                Some(e) if is_mask(&e) => sub_item_error(
                    &format!(
                        "boolean masks are not supported (a mask selects elements, which no view \
                         can); keep the shape with `where({}, x, 0)`, or reduce with \
                         `sum(where({}, x, 0))`",
                        self.text(e.span),
                        self.text(e.span)
                    ),
                    e.span,
                ),
                Some(e) => Ok(SubItem::Index(e)),
                None => sub_item_error("expected an index", begin),
            };
        }
        let mut end = self.next().map_or(begin, |t| t.span);
        let stop = self.sub_part(level)?;
        let mut step = None;
        if self.next_is(Tok::Colon) {
            end = self.next().map_or(end, |t| t.span);
            step = self.sub_part(level)?;
        }
        Ok(slice_item(begin, end, start, stop, step))
    }

    /// One part of a slice: an expression, or nothing before `:`, `,` or `]`.
    fn sub_part(&mut self, level: u32) -> Result<Option<Expr>> {
        match self.peek().map(|t| &t.tok) {
            Some(Tok::Colon | Tok::Comma | Tok::RBracket) | None => Ok(None),
            _ => self.expr(0, level + 1).map(Some),
        }
    }

    /// The arguments of a call and its `)`, after the name; `(` is next. `sum`, `prod`, `min`
    /// and `max` are reductions (with an optional axis); other functions take positional
    /// arguments only.
    fn call_inner(&mut self, name_span: Span, level: u32) -> Result<Expr> {
        let mut call = self.open_call(name_span)?;
        loop {
            // `)` closes the call: right after `(`, or after a trailing comma.
            if let Some(close) = self.close_call() {
                return self.finish_call(call, close);
            }
            if self.keyword(&mut call)? {
                let value = self.expr(0, level + 1)?;
                call.axis = Some(value);
            } else {
                let arg = self.expr(0, level + 1)?;
                self.positional(&mut call, arg)?;
            }
            self.after_arg(&call)?;
        }
    }

    /// Starts a call: consumes `(`; refuses a reduction inside a subscript.
    #[inline(never)]
    fn open_call(&mut self, name_span: Span) -> Result<CallParts> {
        let name = self.text(name_span).to_string();
        let reduce = ReduceOp::from_name(&name);
        if reduce.is_some() && self.subscripts > 0 {
            return Err(Error::new(
                ErrorKind::Syntax,
                format!("`{name}` cannot be used inside a subscript (bounds are integer expressions over literals and bound scalars)"),
                Some(name_span),
            ));
        }
        let open = self.next().map(|t| t.span).unwrap_or(name_span);
        Ok(CallParts {
            name,
            name_span,
            open,
            reduce,
            args: Vec::new(),
            axis: None,
            keyword: None,
        })
    }

    /// Consumes `)` if it is next, returning its span.
    fn close_call(&mut self) -> Option<Span> {
        match self.peek() {
            Some(Token {
                tok: Tok::RParen,
                span,
            }) => {
                let span = *span;
                self.pos = self.skip() + 1;
                Some(span)
            }
            _ => None,
        }
    }

    /// Builds the call or reduction once `)` is consumed.
    #[inline(never)]
    fn finish_call(&self, call: CallParts, close: Span) -> Result<Expr> {
        let span = call.name_span.to(close);
        match call.reduce {
            Some(op) => reduction(op, span, call),
            None => {
                let depth = call.args.iter().map(|a| a.depth).max().unwrap_or(0) + 1;
                let kind = ExprKind::Call {
                    name: call.name,
                    name_span: call.name_span,
                    args: call.args,
                };
                node(kind, span, depth)
            }
        }
    }

    /// If `name =` is next, checks that the call takes that keyword and consumes both.
    #[inline(never)]
    fn keyword(&mut self, call: &mut CallParts) -> Result<bool> {
        let (kw_span, eq) = match (self.peek(), self.peek2()) {
            (
                Some(Token {
                    tok: Tok::Name,
                    span,
                }),
                Some(Token {
                    tok: Tok::Assign,
                    span: eq,
                }),
            ) => (*span, *eq),
            _ => return Ok(false),
        };
        let name = &call.name;
        let kw = self.text(kw_span);
        let msg = if call.reduce.is_none() {
            return Err(Error::new(
                ErrorKind::Syntax,
                format!("`{name}` takes no keyword arguments"),
                Some(kw_span.to(eq)),
            ));
        } else if kw != "axis" {
            format!("`{name}` has no keyword argument `{kw}` (it takes `axis`)")
        } else if call.keyword.is_some() || call.args.len() >= 2 {
            format!("`{name}` got the axis twice")
        } else {
            call.keyword = Some(kw_span);
            self.pos = self.skip() + 1;
            self.pos = self.skip() + 1;
            return Ok(true);
        };
        Err(Error::new(ErrorKind::Syntax, msg, Some(kw_span)))
    }

    /// Records a positional argument; refuses `expr = ...` and a positional argument after
    /// a keyword.
    #[inline(never)]
    fn positional(&mut self, call: &mut CallParts, arg: Expr) -> Result<()> {
        let name = &call.name;
        if let Some(Token {
            tok: Tok::Assign,
            span,
        }) = self.peek()
        {
            let msg = if call.reduce.is_some() {
                "expected a keyword (`axis`) before `=`; did you mean `==`?".to_string()
            } else {
                format!("`{name}` takes no keyword arguments")
            };
            return Err(Error::new(ErrorKind::Syntax, msg, Some(arg.span.to(*span))));
        }
        if let Some(kw) = call.keyword {
            return Err(Error::new(
                ErrorKind::Syntax,
                format!(
                    "positional argument follows the keyword argument `{}`",
                    self.text(kw)
                ),
                Some(arg.span),
            ));
        }
        call.args.push(arg);
        Ok(())
    }

    /// After an argument: consumes `,`, or leaves `)` for the loop; anything else is an error.
    #[inline(never)]
    fn after_arg(&mut self, call: &CallParts) -> Result<()> {
        let name = &call.name;
        match self.peek() {
            Some(Token {
                tok: Tok::Comma, ..
            }) => {
                self.pos = self.skip() + 1;
                Ok(())
            }
            Some(Token {
                tok: Tok::RParen, ..
            }) => Ok(()),
            Some(other) => Err(Error::new(
                ErrorKind::Syntax,
                format!(
                    "expected `,` or `)` in the call of `{name}`, found `{}`",
                    self.text(other.span)
                ),
                Some(other.span),
            )),
            None => Err(Error::new(
                ErrorKind::Syntax,
                format!("unclosed `(` in the call of `{name}`"),
                Some(call.open),
            )),
        }
    }
}

/// What [`Parser::infix`] found after an operand.
enum Infix {
    Stop,
    Subscript,
    /// `.real` or `.imag`.
    Attribute,
    Binary(BinOp, u8),
}

/// A call being parsed.
struct CallParts {
    name: String,
    name_span: Span,
    /// The `(`.
    open: Span,
    reduce: Option<ReduceOp>,
    args: Vec<Expr>,
    /// A reduction's `axis=` value.
    axis: Option<Expr>,
    /// The span of the `axis` keyword, once seen.
    keyword: Option<Span>,
}

#[inline(never)]
fn binary(op: BinOp, lhs: Expr, rhs: Expr) -> Result<Expr> {
    let span = lhs.span.to(rhs.span);
    let depth = lhs.depth.max(rhs.depth) + 1;
    node(
        ExprKind::Binary {
            op,
            lhs: Box::new(lhs),
            rhs: Box::new(rhs),
        },
        span,
        depth,
    )
}

#[inline(never)]
fn unary(op: UnaryOp, op_span: Span, arg: Expr) -> Result<Expr> {
    let full = op_span.to(arg.span);
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

#[inline(never)]
fn subscript_node(base: Expr, items: Vec<SubItem>, close: Span) -> Result<Expr> {
    let mut depth = base.depth;
    for item in &items {
        match item {
            SubItem::Index(e) => depth = depth.max(e.depth),
            SubItem::Slice {
                start, stop, step, ..
            } => {
                for e in [start, stop, step].into_iter().flatten() {
                    depth = depth.max(e.depth);
                }
            }
            SubItem::Ellipsis(_) => {}
        }
    }
    let span = base.span.to(close);
    let kind = ExprKind::Subscript {
        base: Box::new(base),
        items,
    };
    node(kind, span, depth + 1)
}

#[cold]
#[inline(never)]
/// Whether a subscript item is a condition (`x > 0`, `~m`, `(a > 0) & (b < 1)`): a boolean
/// mask, which numjit refuses with a suggestion.
fn is_mask(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Binary { op, .. } if op.is_comparison() => true,
        ExprKind::Binary {
            op: BinOp::BitAnd | BinOp::BitOr | BinOp::BitXor,
            lhs,
            rhs,
        } => is_mask(lhs) || is_mask(rhs),
        ExprKind::Unary {
            op: UnaryOp::Invert,
            arg,
        } => is_mask(arg),
        ExprKind::Bool(_) => true,
        _ => false,
    }
}

fn sub_item_error(msg: &str, at: Span) -> Result<SubItem> {
    Err(Error::new(ErrorKind::Syntax, msg, Some(at)))
}

#[inline(never)]
fn slice_item(
    begin: Span,
    mut end: Span,
    start: Option<Expr>,
    stop: Option<Expr>,
    step: Option<Expr>,
) -> SubItem {
    for e in [&start, &stop, &step].into_iter().flatten() {
        end = end.to(e.span);
    }
    SubItem::Slice {
        start,
        stop,
        step,
        span: begin.to(end),
    }
}

/// Builds `sum(arg)`, `sum(arg, k)` or `sum(arg, axis=k)` (`span` is the whole call).
fn reduction(op: ReduceOp, span: Span, call: CallParts) -> Result<Expr> {
    let name = op.name();
    let CallParts {
        name_span,
        mut args,
        axis,
        ..
    } = call;
    if args.is_empty() || args.len() > 2 {
        return Err(Error::new(
            ErrorKind::Arity,
            format!(
                "`{name}` takes the array to reduce and an optional axis (1 or 2 arguments), got {}",
                args.len() + axis.is_some() as usize
            ),
            Some(span),
        ));
    }
    let axis_expr = match axis {
        Some(value) => Some(value),
        None if args.len() == 2 => args.pop(),
        None => None,
    };
    let axis = match &axis_expr {
        None => None,
        Some(e) => axis_value(e).ok_or_else(|| {
            Error::new(
                ErrorKind::Syntax,
                format!("the axis of `{name}` must be an integer literal or `None`"),
                Some(e.span),
            )
        })?,
    };
    let arg = args.pop().expect("one argument is left");
    let depth = arg.depth + 1;
    node(
        ExprKind::Reduce {
            op,
            name_span,
            arg: Box::new(arg),
            axis,
        },
        span,
        depth,
    )
}

/// The value of an `axis` argument: an integer literal, possibly signed, or `None`.
fn axis_value(e: &Expr) -> Option<Option<i64>> {
    match &e.kind {
        ExprKind::Int(v) => Some(Some(*v)),
        ExprKind::Name(n) if n == "None" => Some(None),
        ExprKind::Unary { op, arg } => match (op, &arg.kind) {
            (UnaryOp::Neg, ExprKind::Int(v)) => Some(Some(v.wrapping_neg())),
            (UnaryOp::Pos, ExprKind::Int(v)) => Some(Some(*v)),
            _ => None,
        },
        _ => None,
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
    fn numpy_habits_are_refused_with_the_numjit_spelling() {
        // The message, and the text the caret is under (as typed).
        let (m, at) = e("x[x > 0]");
        assert!(m.starts_with("boolean masks are not supported"), "{m}");
        assert!(m.contains("`where(x > 0, x, 0)`"), "{m}");
        assert_eq!(at, "x > 0");
        let (m, at) = e("d[(d > 0) & ~(d < -1.5)] + 1");
        assert!(m.contains("where((d > 0) & ~(d < -1.5), x, 0)"), "{m}");
        assert_eq!(at, "(d > 0) & ~(d < -1.5)");
        let (m, at) = e("x[[0, 2]]");
        assert!(
            m.starts_with("lists are not supported: fancy indexing"),
            "{m}"
        );
        assert_eq!(at, "[");
        let (m, at) = e("x[None, :]");
        assert!(
            m.starts_with("`None` (NumPy's newaxis) is not supported"),
            "{m}"
        );
        assert_eq!(at, "None");
        let (m, at) = e("a if c else b");
        assert_eq!(
            m,
            "conditional expressions are not supported; write `a if c else b` as `where(c, a, b)`"
        );
        assert_eq!(at, "if");
        let (m, at) = e("d.sum() + 1");
        assert_eq!(
            m,
            "numjit has no methods, and no attributes but `.real` and `.imag`; `d.sum` is written `sum(d)`"
        );
        assert_eq!(at, ".sum");
        let (m, _) = e("d.mean");
        assert_eq!(
            m,
            "numjit has no methods, and no attributes but `.real` and `.imag`; `d.mean` is written `mean(d)`"
        );
        let (m, at) = e("temp.smu()");
        assert_eq!(
            m,
            "numjit has no methods, and no attributes but `.real` and `.imag`; did you mean `sum(temp)`?"
        );
        assert_eq!(at, ".smu");
        let (m, _) = e("x.shape");
        assert_eq!(
            m,
            "numjit has no methods, and no attributes but `.real` and `.imag` (`.shape`); functions are called as `f(x)`"
        );
        // A float literal's dot is not an attribute; `...` is a subscript item.
        assert!(parse("x[..., 0] * 1.5 + .5").is_ok());
    }

    /// The error's message and the text under its caret.
    fn e(s: &str) -> (String, String) {
        let err = parse(s).expect_err(s);
        let sp = err.span().expect("errors have spans");
        (err.message().to_string(), s[sp.start..sp.end].to_string())
    }

    #[test]
    fn real_and_imag_attributes_are_calls() {
        assert_eq!(p("z.real"), "real(z)");
        assert_eq!(p("(a-10).imag + 1"), "(imag((a - 10)) + 1)");
        assert_eq!(p("-z.real**2"), "(-(real(z) ** 2))");
        assert_eq!(p("sin(x).real"), "real(sin(x))");
        assert_eq!(p("u[1:].real"), "real(u[1:])");
        assert_eq!(p("c.real.imag"), "imag(real(c))");
        assert_eq!(p("2..real"), "real(2.0)");
        assert_eq!(
            e("z.conj"),
            (
                "numjit has no methods, and no attributes but `.real` and `.imag`; `z.conj` is written `conj(z)`".into(),
                ".conj".into()
            )
        );
        assert_eq!(
            e("z.(1)"),
            ("expected `real` or `imag` after `.`".into(), "(".into())
        );
        assert!(p("z.").contains("expected `real` or `imag`"));
    }

    #[test]
    fn imaginary_literals() {
        assert_eq!(p("2j"), "2.0j");
        assert_eq!(p("1.5j"), "1.5j");
        assert_eq!(p("1e3J"), "1000.0j");
        assert_eq!(p(".5j"), "0.5j");
        assert_eq!(p("1_0.j"), "10.0j");
        assert_eq!(p("1 + 2j*a"), "(1 + (2.0j * a))");
        assert_eq!(p("-2j**2"), "(-(2.0j ** 2))");
        assert!(p("2jx").contains("expected an operator"));
        assert!(p("0x1j").contains("expected an operator"));
    }

    #[test]
    fn string_literals() {
        let bytes = |s: &str| match parse(s).unwrap().kind {
            ExprKind::Str(b) => b,
            k => panic!("{s}: {k:?}"),
        };
        assert_eq!(bytes("'abc'"), b"abc");
        assert_eq!(bytes("\"abc\""), b"abc");
        assert_eq!(bytes("b'abc'"), b"abc");
        assert_eq!(bytes("B\"a'c\""), b"a'c");
        assert_eq!(bytes("''"), b"");
        assert_eq!(
            bytes(r#"'\\ \' \" \n \t \r \0 \x41\x7f \101\7 \a\b\f\v # x'"#),
            b"\\ ' \" \n \t \r \0 A\x7f A\x07 \x07\x08\x0c\x0b # x"
        );
        assert_eq!(p(r"s == b'a\'b\x00\xff'"), r"(s == b'a\'b\x00\xff')");
        assert_eq!(p("where(s != 'x', 1, 2)"), "where((s != b'x'), 1, 2)");
        assert_eq!(
            e("s == 'héllo'"),
            (
                "string literals must be ASCII (byte strings)".into(),
                "é".into()
            )
        );
        assert_eq!(
            e("'ab\\q'").0,
            "unknown escape `\\q` in a string literal (write `\\\\` for a backslash)"
        );
        assert_eq!(e("'ab\\q'").1, "\\q");
        assert_eq!(e(r"'\x4'").1, r"\x4");
        assert_eq!(e(r"'\x4g'").0, "`\\x` must be followed by two hex digits");
        assert_eq!(e(r"'\400'").1, r"\400");
        assert_eq!(
            e("a == 'abc"),
            (
                "unterminated string literal (a string ends on the line it starts)".into(),
                "'abc".into()
            )
        );
        assert_eq!(e("a == b'abc").1, "b'abc");
        assert_eq!(e("a == b'").1, "b'");
        assert_eq!(e("ab'c").1, "'c");
        // Python's longest-match tokenisation around the new literals never panics.
        for s in [
            "1e+x", "1ex", "1jx", "2.j", "1_j", "b", "b''", "j", "1j1", "'\\'", "'\\",
        ] {
            let _ = parse(s);
        }
        assert_eq!(p("2.j"), "2.0j");
        assert_eq!(p("b''"), "b''");
        assert_eq!(e("'a\nb'").1, "'a");
        assert_eq!(e("\"abc'").1, "\"abc'");
    }

    #[test]
    fn reductions() {
        assert_eq!(p("sum(a)"), "sum(a)");
        assert_eq!(p("sum(a, axis=1)"), "sum(a, axis=1)");
        assert_eq!(p("sum(a, 1)"), "sum(a, axis=1)");
        assert_eq!(p("prod(a, -1)"), "prod(a, axis=-1)");
        assert_eq!(p("min(a,\n axis = -2,\n)"), "min(a, axis=-2)");
        assert_eq!(p("max(a, axis=None)"), "max(a)");
        assert_eq!(p("max(a, None)"), "max(a)");
        assert_eq!(p("sum(a, (1))"), "sum(a, axis=1)");
        assert_eq!(p("sum(a, +0)"), "sum(a, axis=0)");
        assert_eq!(p("a - sum(a)/n"), "(a - (sum(a) / n))");
        assert_eq!(p("sum(a - sum(a, 0))"), "sum((a - sum(a, axis=0)))");
        assert_eq!(p("-sum(a)**2"), "(-(sum(a) ** 2))");
        // A reduction's result can be subscripted (checking decides what a view of it means).
        assert_eq!(p("sum(a, axis=0)[1]"), "sum(a, axis=0)[1]");
        let r = parse("sum(x, axis=1)").unwrap();
        match r.kind {
            ExprKind::Reduce {
                op,
                name_span,
                axis,
                ..
            } => {
                assert_eq!(op, ReduceOp::Sum);
                assert_eq!(name_span, Span::new(0, 3));
                assert_eq!(axis, Some(1));
            }
            k => panic!("{k:?}"),
        }
        assert_eq!(r.span, Span::new(0, 14));
        // Names of reductions are ordinary names when not called.
        assert_eq!(p("sum + max"), "(sum + max)");
    }

    #[test]
    fn reduction_errors() {
        let arity = |s: &str| {
            let err = parse(s).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Arity, "{s}");
            err.message().to_string()
        };
        assert_eq!(
            arity("sum()"),
            "`sum` takes the array to reduce and an optional axis (1 or 2 arguments), got 0"
        );
        assert!(arity("sum(a, 1, 2)").ends_with("got 3"));
        assert!(arity("prod(axis=1)").ends_with("got 1"));
        assert_eq!(
            e("sum(a, axis=n)"),
            (
                "the axis of `sum` must be an integer literal or `None`".into(),
                "n".into()
            )
        );
        assert_eq!(e("sum(a, 1.0)").1, "1.0");
        assert_eq!(e("sum(a, -n)").1, "-n");
        assert_eq!(e("sum(a, axis=True)").1, "True");
        assert_eq!(
            e("sum(a, axes=1)"),
            (
                "`sum` has no keyword argument `axes` (it takes `axis`)".into(),
                "axes".into()
            )
        );
        assert_eq!(e("sum(a, 1, axis=1)").0, "`sum` got the axis twice");
        assert_eq!(e("sum(a, axis=1, axis=0)").1, "axis");
        assert_eq!(
            e("sum(axis=1, a)"),
            (
                "positional argument follows the keyword argument `axis`".into(),
                "a".into()
            )
        );
        assert_eq!(
            e("sum(a+1=2)").0,
            "expected a keyword (`axis`) before `=`; did you mean `==`?"
        );
        assert_eq!(
            e("where(a, b, c=1)"),
            ("`where` takes no keyword arguments".into(), "c=".into())
        );
        assert_eq!(
            e("sin(x=1)"),
            ("`sin` takes no keyword arguments".into(), "x=".into())
        );
        assert_eq!(e("x[sum(i):]").1, "sum");
        assert_eq!(e("x[1:max(i)]").1, "max");
        assert_eq!(
            e("sum(a"),
            ("unclosed `(` in the call of `sum`".into(), "(".into())
        );
    }

    #[test]
    fn newlines_before_a_closing_parenthesis() {
        assert_eq!(p("where(a,\n b,\n c\n)"), "where(a, b, c)");
        assert_eq!(p("f(\n)"), "f()");
    }

    #[test]
    fn nested_reductions_are_bounded() {
        let deep = format!("{}a{}", "sum(".repeat(10_000), ")".repeat(10_000));
        assert!(p(&deep).contains("nested too deeply"));
        let ok = format!("{}a{}", "sum(".repeat(50), ")".repeat(50));
        assert!(!p(&ok).starts_with("error"));
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
