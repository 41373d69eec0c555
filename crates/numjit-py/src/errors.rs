//! Owns how numjit's errors become Python exceptions: each `ErrorKind` maps to a class of
//! `numjit.errors`, each a subclass of the built-in exception numexpr raises for that mistake,
//! carrying numjit's message with its caret display.
//! Must not decide what is an error: it only converts.

use numjit::{Error, ErrorKind};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;

/// The `numjit.errors` class name for `kind`.
fn class_name(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::Syntax => "ExpressionSyntaxError",
        ErrorKind::UnknownName => "UnknownNameError",
        ErrorKind::UnknownFunction => "UnknownFunctionError",
        ErrorKind::Arity => "ArityError",
        ErrorKind::DType => "DTypeError",
        ErrorKind::Shape => "ShapeError",
        ErrorKind::Output => "OutputError",
        ErrorKind::Limit => "LimitError",
        ErrorKind::OutOfMemory => "OutOfMemoryError",
        ErrorKind::Internal => "InternalError",
        _ => "NumjitError",
    }
}

/// `e` as a Python exception made by `numjit.errors._make` from its kind's class name, with
/// the caret display as its text and `message`, `span` attributes.
pub(crate) fn to_py(py: Python<'_>, e: Error) -> PyErr {
    static MODULE: PyOnceLock<Py<PyModule>> = PyOnceLock::new();
    let made = (|| -> PyResult<PyErr> {
        let m = MODULE.get_or_try_init(py, || -> PyResult<Py<PyModule>> {
            Ok(py.import("numjit.errors")?.unbind())
        })?;
        let make = m.bind(py).getattr("_make")?;
        let span = e.span().map(|s| (s.start, s.end));
        let err = make.call1((
            class_name(e.kind()),
            e.to_string(),
            e.message().to_string(),
            span,
        ))?;
        Ok(PyErr::from_value(err))
    })();
    made.unwrap_or_else(|failure| failure)
}
