//! Owns numjit's one user-facing error type, [`Error`]: a kind, a message, the source text
//! and a byte [`Span`], displayed as the source line with a caret under the offending span.
//! Must not touch anything but text: kinds name categories of mistakes, not engine types.
//!
//! Every phase (this crate's parser and the engine's checker, executor and API) reports user
//! mistakes through this type; none of them panics on user input.

use std::fmt;

/// A half-open byte range `start..end` into the expression text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl Span {
    /// A span from `start` to `end`.
    pub fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }
}

/// What went wrong, in categories a program can match on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The text does not follow the grammar.
    Syntax,
    /// A name that is not bound.
    UnknownName,
    /// A call of a function numjit does not have.
    UnknownFunction,
    /// A call with the wrong number of arguments.
    Arity,
    /// An operation that is not defined for its operands' dtypes.
    DType,
    /// Operand shapes that do not broadcast.
    Shape,
    /// The provided output has the wrong shape or dtype.
    Output,
    /// The input exceeds a safety limit (nesting depth, length).
    Limit,
    /// The allocator refused memory for a result, a temporary or a buffer (NumPy's
    /// `MemoryError`); nothing was written, and the process stays usable.
    OutOfMemory,
    /// Cranelift could not compile for this machine (not caused by the expression).
    Internal,
    /// The caller stopped the call through the interrupt of its schedule (`numjit::Interrupt`,
    /// tripped from another thread or a signal handler) before it finished. Unlike every other
    /// kind this is not found before effects: an output the call was writing may be partly
    /// written, and a script keeps what its earlier statements did.
    Interrupted,
}

/// A user-facing error: what went wrong and where in the expression.
///
/// `Display` and `Debug` both print the caret display (so `fn main() -> Result<(), Error>`
/// and `unwrap` show the pointed message); `{:#?}` prints the fields.
#[derive(Clone, PartialEq)]
pub struct Error {
    kind: ErrorKind,
    message: String,
    span: Option<Span>,
    source: String,
}

impl Error {
    /// An error about `span` of `source`.
    pub fn new(kind: ErrorKind, message: impl Into<String>, span: Option<Span>) -> Error {
        Error {
            kind,
            message: message.into(),
            span,
            source: String::new(),
        }
    }

    /// Attach the source text the span refers to (done once, at the API boundary).
    pub fn with_source(mut self, source: &str) -> Error {
        self.source = source.to_string();
        self
    }

    /// The category of the error.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The one-line message, without the source display.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The byte span of the offending part of the expression, if the error has one.
    pub fn span(&self) -> Option<Span> {
        self.span
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error: {}", self.message)?;
        let Some(span) = self.span else {
            return Ok(());
        };
        if self.source.is_empty() {
            return Ok(());
        }
        let src = &self.source;
        let start = span.start.min(src.len());
        let end = span.end.clamp(start, src.len());
        // The line holding the start of the span.
        let line_start = src[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = src[start..].find('\n').map_or(src.len(), |i| start + i);
        let line = &src[line_start..line_end];
        let line_no = src[..line_start].matches('\n').count() + 1;
        let prefix = if src.contains('\n') {
            format!("{line_no} | ")
        } else {
            "  ".to_string()
        };
        let pad = src[line_start..start].chars().count() + prefix.chars().count();
        let width = src[start..end.min(line_end)].chars().count().max(1);
        write!(
            f,
            "\n{prefix}{line}\n{}{}",
            " ".repeat(pad),
            "^".repeat(width)
        )
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if f.alternate() {
            return f
                .debug_struct("Error")
                .field("kind", &self.kind)
                .field("message", &self.message)
                .field("span", &self.span)
                .field("source", &self.source)
                .finish();
        }
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for Error {}

/// Shorthand for results with numjit's error.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_the_caret_display() {
        let e = Error::new(
            ErrorKind::UnknownName,
            "unknown name `ab`",
            Some(Span::new(4, 6)),
        )
        .with_source("a + ab");
        let shown = "error: unknown name `ab`\n  a + ab\n      ^^";
        assert_eq!(format!("{e}"), shown);
        assert_eq!(format!("{e:?}"), shown);
        assert!(format!("{e:#?}").starts_with("Error {\n    kind: UnknownName,"));
    }
}
