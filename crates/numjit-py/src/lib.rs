//! Owns the extension module `numjit._numjit`: a compiled expression (`Expr`) and a compiled
//! script (`Script`) as Python objects that run on NumPy arrays and Python scalars in place,
//! with the GIL released while kernels run, and the thread count.
//! Must not touch numexpr's API, frame lookup or caches by text (the Python package `numjit`
//! builds those on this module); `unsafe` lives in `raw` only.
//!
//! The parts: `convert` (what is read and written in place, what is coerced first, results
//! as NumPy arrays), `raw` (views over NumPy memory), `errors` (numjit's errors as Python
//! exceptions), `compat` (what numexpr refuses that numjit's own entry points accept).

mod compat;
mod convert;
mod errors;
mod halo;
mod raw;

use convert::{input, Input, Write};
use numjit::{Array, Casting, Vars};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString, PyTuple};
use raw::Detached;

/// Inputs smaller than this (elements, all inputs together) run without releasing the GIL,
/// whose release and re-acquisition would be a sizeable part of such a short call; larger
/// calls (a few µs and up) release it. Not tuned by measurement: re-measure with
/// `benches/percall.py` and `tests/test_threads_memory.py` before changing it.
const DETACH_MIN_ELEMENTS: usize = 4096;

/// Calls whose inputs hold at least this many elements allocate their result with NumPy
/// (uninitialised) rather than as a zero-filled numjit array: at n = 1e6 the zero fill cost
/// 0.9 ms of a 2.7 ms call on the development machine.
const PREALLOC_MIN_ELEMENTS: usize = 16384;

/// The casting rule named `name` (numexpr's and NumPy's names).
fn casting_from(name: Option<&Bound<'_, PyString>>) -> PyResult<Casting> {
    let Some(name) = name else {
        return Ok(Casting::Safe);
    };
    let name = name.to_cow()?;
    Casting::from_name(&name).ok_or_else(|| {
        PyValueError::new_err(format!(
            "casting must be one of 'no', 'equiv', 'safe', 'same_kind' or 'unsafe', not '{name}'"
        ))
    })
}

/// The inputs of one call: `values[i]` bound to `names[i]`.
fn inputs<'py>(
    py: Python<'py>,
    names: &[String],
    values: &Bound<'py, PyTuple>,
) -> PyResult<Vec<Input<'py>>> {
    if values.len() != names.len() {
        return Err(PyTypeError::new_err(format!(
            "expected {} inputs ({}), got {}",
            names.len(),
            names.join(", "),
            values.len()
        )));
    }
    let missing = missing(py);
    values
        .iter()
        .map(|v| {
            if v.is(missing) {
                Ok(Input::Missing)
            } else {
                input(py, &v)
            }
        })
        .collect()
}

/// The marker for a name the caller did not bind (`numjit._numjit.MISSING`).
fn missing(py: Python<'_>) -> &Bound<'_, PyAny> {
    static MISSING: pyo3::sync::PyOnceLock<Py<PyAny>> = pyo3::sync::PyOnceLock::new();
    MISSING
        .get_or_init(py, || {
            py.import("numjit._numjit")
                .and_then(|m| m.getattr("MISSING"))
                .map(|m| m.unbind())
                .unwrap_or_else(|_| py.None())
        })
        .bind(py)
}

/// The bindings of one call, and its number of input elements.
fn bind<'a>(names: &'a [String], inputs: &'a [Input<'_>]) -> (Vars<'a>, usize) {
    let mut vars = Vars::new();
    let mut size = 0usize;
    for (name, inp) in names.iter().zip(inputs) {
        if let Some(arg) = inp.arg() {
            size = size.saturating_add(arg.shape().iter().product::<usize>());
            vars = vars.bind(name, arg);
        }
    }
    (vars, size)
}

/// Runs `f` with the GIL released when the call is large enough to be worth it.
fn run<T: Send>(py: Python<'_>, size: usize, job: Detached<impl FnOnce() -> T>) -> T {
    if size < DETACH_MIN_ELEMENTS {
        job.into_inner()()
    } else {
        py.detach(move || job.into_inner()())
    }
}

/// An expression compiled once: `Expr("a**2 + b")(a, b)` or `.run((a, b), out, casting)`.
/// Inputs are positional, in the order of `names`.
#[pyclass(frozen, module = "numjit._numjit")]
struct Expr {
    compiled: numjit::Compiled,
    names: Vec<String>,
    names_tuple: Py<PyTuple>,
}

#[pymethods]
impl Expr {
    /// `numexpr=True` makes the expression numexpr's (the package's `evaluate`, `validate`,
    /// `re_evaluate` and `NumExpr`): integer literals typed as numexpr types them
    /// ([`numjit::Compiled::numexpr`]) and negative reduction axes refused with ValueError.
    /// Otherwise NumPy's rules (`numjit.compile`).
    #[new]
    #[pyo3(signature = (text, numexpr=false))]
    fn new(py: Python<'_>, text: &Bound<'_, PyString>, numexpr: bool) -> PyResult<Self> {
        let text = text.to_cow()?;
        let compiled = if numexpr {
            numjit::Compiled::numexpr(&text)
                .and_then(|c| compat::refuse_negative_axes(c.ast(), &text).map(|()| c))
        } else {
            numjit::Compiled::new(&text)
        }
        .map_err(|e| errors::to_py(py, e))?;
        let names = compiled.input_names();
        let names_tuple = PyTuple::new(py, &names)?.unbind();
        Ok(Expr {
            compiled,
            names,
            names_tuple,
        })
    }

    /// The names the expression reads, in the order `run` takes their values.
    #[getter]
    fn names(&self, py: Python<'_>) -> Py<PyTuple> {
        self.names_tuple.clone_ref(py)
    }

    /// The expression text.
    #[getter]
    fn source(&self) -> &str {
        self.compiled.source()
    }

    /// Evaluates with `args` bound to `names`: into a new array, or into `out` (written in
    /// place, returned) under the casting rule `casting` (default 'safe').
    #[pyo3(signature = (args, out=None, casting=None))]
    fn run<'py>(
        &self,
        py: Python<'py>,
        args: &Bound<'py, PyTuple>,
        out: Option<&Bound<'py, PyAny>>,
        casting: Option<&Bound<'py, PyString>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let rule = casting_from(casting)?;
        let inputs = inputs(py, &self.names, args)?;
        self.eval_into(py, &inputs, out, rule)
    }

    /// `run(args)`: `f(a, b, out=None, casting='safe')`.
    #[pyo3(signature = (*args, out=None, casting=None))]
    fn __call__<'py>(
        &self,
        py: Python<'py>,
        args: &Bound<'py, PyTuple>,
        out: Option<&Bound<'py, PyAny>>,
        casting: Option<&Bound<'py, PyString>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.run(py, args, out, casting)
    }

    /// Checks the expression against `args` (names, dtypes, shapes) without running it.
    fn check(&self, py: Python<'_>, args: &Bound<'_, PyTuple>) -> PyResult<()> {
        let inputs = inputs(py, &self.names, args)?;
        let (vars, _) = bind(&self.names, &inputs);
        self.compiled
            .program(vars)
            .map(|_| ())
            .map_err(|e| errors::to_py(py, e))
    }

    fn __repr__(&self) -> String {
        format!("numjit.compile({:?})", self.compiled.source())
    }
}

impl Expr {
    fn eval_into<'py>(
        &self,
        py: Python<'py>,
        inputs: &[Input<'py>],
        out: Option<&Bound<'py, PyAny>>,
        rule: Casting,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (vars, size) = bind(&self.names, inputs);
        let c = &self.compiled;
        let fresh;
        let out = match out {
            Some(o) if !o.is_none() => o,
            _ if size >= PREALLOC_MIN_ELEMENTS => {
                // A large result goes into an uninitialised NumPy array (numpy.empty): numjit's
                // own allocation zero-fills it first, which costs as much as the kernel.
                let (probe, _) = bind(&self.names, inputs);
                let (dt, shape) = c.result_type(probe).map_err(|e| errors::to_py(py, e))?;
                fresh = convert::empty(py, dt, &shape)?;
                &fresh
            }
            _ => {
                let r = run(py, size, Detached(move || c.eval(vars)));
                return r
                    .map_err(|e| errors::to_py(py, e))
                    .and_then(|a| convert::to_numpy(py, a));
            }
        };
        let (arr, write) = convert::output(out)?;
        match write {
            Write::InPlace(dt) => {
                let view = convert::out_view(arr, dt);
                let r = run(
                    py,
                    size,
                    Detached(move || c.evaluate_casting(view, vars, rule)),
                );
                r.map_err(|e| errors::to_py(py, e))?;
            }
            Write::Copy | Write::Overlapping => {
                // The result goes into a new array first; NumPy's copyto (an output numjit cannot
                // write in place, say int16 or unaligned) or NumPy's `out=` rule for outputs
                // whose positions share memory then writes it, checking the casting rule first.
                let r: Result<Array, _> = run(py, size, Detached(move || c.eval(vars)));
                let result = r.map_err(|e| errors::to_py(py, e))?;
                let result = convert::to_numpy(py, result)?;
                if matches!(write, Write::Overlapping) {
                    convert::write_overlapping(py, out, &result, rule.name())?;
                } else {
                    let np = py.import("numpy")?;
                    let kwargs = PyDict::new(py);
                    kwargs.set_item("casting", rule.name())?;
                    np.getattr("copyto")?.call((out, result), Some(&kwargs))?;
                }
            }
        }
        Ok(out.clone())
    }
}

/// A script compiled once (statements separated by `;` or newlines): `x[1:] = x[:-1] * 2`.
/// `run(args)` binds `args[i]` to `names[i]`; names in `written` are assigned in place and
/// must be writable NumPy arrays numjit computes in.
#[pyclass(frozen, module = "numjit._numjit")]
struct Script {
    script: numjit::Script,
    names: Vec<String>,
    names_tuple: Py<PyTuple>,
    written_tuple: Py<PyTuple>,
}

#[pymethods]
impl Script {
    #[new]
    fn new(py: Python<'_>, text: &Bound<'_, PyString>) -> PyResult<Self> {
        let text = text.to_cow()?;
        let script = numjit::Script::new(&text).map_err(|e| errors::to_py(py, e))?;
        let names = script.input_names();
        let names_tuple = PyTuple::new(py, &names)?.unbind();
        let written_tuple = PyTuple::new(py, script.written_names())?.unbind();
        Ok(Script {
            script,
            names,
            names_tuple,
            written_tuple,
        })
    }

    /// The names the caller binds, in the order `run` takes their values.
    #[getter]
    fn names(&self, py: Python<'_>) -> Py<PyTuple> {
        self.names_tuple.clone_ref(py)
    }

    /// The names the script assigns into in place (`name[...] = ...`).
    #[getter]
    fn written(&self, py: Python<'_>) -> Py<PyTuple> {
        self.written_tuple.clone_ref(py)
    }

    /// The script text.
    #[getter]
    fn source(&self) -> &str {
        self.script.source()
    }

    /// Runs the script; returns `(arrays, value)`: a dict of the arrays its `name = expr`
    /// statements bound, and the value of its last bare expression (or None).
    fn run<'py>(
        &self,
        py: Python<'py>,
        args: &Bound<'py, PyTuple>,
    ) -> PyResult<(Bound<'py, PyDict>, Bound<'py, PyAny>)> {
        let inputs = inputs(py, &self.names, args)?;
        let written = self.script.written_names();
        let mut vars = Vars::new();
        let mut size = 0usize;
        for ((name, inp), value) in self.names.iter().zip(&inputs).zip(args.iter()) {
            if written.contains(name) {
                let writable = match inp {
                    Input::Array(a, dt)
                        if a.is(&value) && !matches!(dt, numjit::DType::Bytes(_)) =>
                    {
                        if let (_, Write::Overlapping) = convert::output(a.as_any())? {
                            return Err(PyValueError::new_err(format!(
                                "`{name}` is assigned in place by the script, but some of its \
                                 positions share memory (a zero stride or an as_strided view): \
                                 numjit does not assign into such arrays (pass a copy)"
                            )));
                        }
                        Some(convert::out_view(a, *dt))
                    }
                    Input::Missing => None,
                    _ => {
                        return Err(PyTypeError::new_err(format!(
                            "`{name}` is assigned in place by the script, so it must be a \
                             writable, aligned NumPy array of bool, int32, int64, float32, \
                             float64 or complex128"
                        )))
                    }
                };
                if let Some(o) = writable {
                    size = size.saturating_add(o.shape().iter().product::<usize>());
                    vars = vars.bind_mut(name, o);
                }
            } else if let Some(arg) = inp.arg() {
                size = size.saturating_add(arg.shape().iter().product::<usize>());
                vars = vars.bind(name, arg);
            }
        }
        let s = &self.script;
        let outputs =
            run(py, size, Detached(move || s.execute(vars))).map_err(|e| errors::to_py(py, e))?;
        let value = match outputs.value() {
            Some(v) => convert::to_numpy(py, v.clone())?,
            None => py.None().into_bound(py),
        };
        let arrays = PyDict::new(py);
        for (name, a) in outputs.into_vec() {
            arrays.set_item(name, convert::to_numpy(py, a)?)?;
        }
        Ok((arrays, value))
    }

    fn __repr__(&self) -> String {
        format!("numjit.compile_script({:?})", self.script.source())
    }
}

/// Sets the number of threads numjit's pool uses; returns the previous number.
#[pyfunction]
fn set_num_threads(n: usize) -> usize {
    numjit::set_num_threads(n)
}

/// The number of threads numjit's pool uses.
#[pyfunction]
fn get_num_threads() -> usize {
    numjit::num_threads()
}

/// The extension module.
#[pymodule]
fn _numjit(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Expr>()?;
    m.add_class::<Script>()?;
    m.add_function(wrap_pyfunction!(set_num_threads, m)?)?;
    m.add_function(wrap_pyfunction!(get_num_threads, m)?)?;
    m.add_function(wrap_pyfunction!(halo::halo_widths, m)?)?;
    let py = m.py();
    let missing = py.import("builtins")?.getattr("object")?.call0()?;
    m.add("MISSING", missing)?;
    Ok(())
}
