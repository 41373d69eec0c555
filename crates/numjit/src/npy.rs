//! Owns .npy files: reading and writing NumPy's format for numjit's dtypes.
//! Must not touch expressions, kernels or threads; it is the only module of the engine that does file IO.
//!
//! Provides reading and writing of NumPy `.npy` files for numjit's dtypes (bool, int32, int64,
//! float32, float64, complex128).
//!
//! Reading accepts format versions 1.0, 2.0 and 3.0, little- and big-endian data, C and Fortran
//! order, and any rank including 0-d arrays (shape `()`). Writing produces the same bytes as
//! `numpy.save` on a little-endian machine: format 1.0 (2.0 only when the header does not fit),
//! little-endian data, Fortran order only for arrays that are Fortran- but not C-contiguous.
//!
//! Narrower NumPy dtypes are widened on reading the way numexpr widens its inputs, so every
//! value is kept exactly:
//!
//! | in the file                     | read as      |
//! |---------------------------------|--------------|
//! | int8, int16, uint8, uint16      | int32        |
//! | uint32                          | int64        |
//! | float16                         | float32      |
//! | complex64                       | complex128   |
//!
//! Other dtypes are refused with an error that names the dtype and says why: uint64 (values
//! above 2**63-1 have no numjit dtype; numexpr casts them to int64 unchecked, so they would turn
//! negative), long double (`float128`, `complex256`: their layout depends on the machine that
//! wrote them), unicode strings, objects, structured records, datetimes and timedeltas. Byte
//! strings (`S<width>`) are not an [`Array`] (numjit compares them but makes none):
//! [`read_contents`] returns them as [`ByteStrings`], to be bound as inputs.
//!
//! Reading never aborts on what a file claims: the header (at most 16 MiB) is read first, the
//! data's size checked against the file's length before anything is allocated for it, and the
//! data decoded chunk by chunk into the array's one allocation, which is fallible
//! ([`NpyErrorKind::OutOfMemory`]). Writing streams the array out a chunk at a time.
//!
//! Bytes after the array data are ignored, as NumPy does (NumPy reads several arrays saved one
//! after the other into one file back one at a time; here the first one is returned).
//!
//! ```
//! use ndarray::arr1;
//! use numjit::{npy, Array};
//!
//! let a = Array::from(arr1(&[1.0, 2.0, 3.0]).into_dyn());
//! let bytes = npy::to_bytes(&a);
//! assert_eq!(npy::read_bytes(&bytes).unwrap(), a);
//! ```

use crate::types::{Array, Complex64};
use ndarray::{ArrayD, ShapeBuilder};
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

/// The magic string every `.npy` file starts with.
const MAGIC: &[u8; 6] = b"\x93NUMPY";
/// NumPy aligns the start of the data to this many bytes.
const ARRAY_ALIGN: usize = 64;
/// NumPy leaves room in the header for the growth axis to reach this many digits.
const GROWTH_AXIS_MAX_DIGITS: usize = 21;

/// An error reading or writing a `.npy` file: what went wrong and, when known, the file's path.
#[derive(Debug)]
pub struct NpyError {
    path: Option<PathBuf>,
    kind: NpyErrorKind,
}

/// What went wrong reading or writing a `.npy` file.
#[derive(Debug)]
#[non_exhaustive]
pub enum NpyErrorKind {
    /// The file could not be read or written.
    Io(io::Error),
    /// The file does not start with the `.npy` magic string `\x93NUMPY`.
    BadMagic,
    /// The format version is not 1.0, 2.0 or 3.0.
    UnsupportedVersion {
        /// Major version byte.
        major: u8,
        /// Minor version byte.
        minor: u8,
    },
    /// The header (the Python dict literal describing the array) is malformed.
    BadHeader(String),
    /// The array's dtype has no numjit dtype to be read as (see the module documentation).
    UnsupportedDtype {
        /// The dtype descriptor as written in the header, e.g. `<i4`.
        descr: String,
    },
    /// The array (as read, widened) needs more memory than the allocator gives: a clean
    /// error, as NumPy's `MemoryError`, never an abort.
    OutOfMemory {
        /// Bytes the array needs.
        bytes: u64,
    },
    /// The file ends before the header or the array data does.
    Truncated {
        /// What was being read: `"header"` or `"data"`.
        what: &'static str,
        /// Bytes needed.
        expected: u64,
        /// Bytes present.
        found: u64,
    },
}

impl NpyError {
    fn new(kind: NpyErrorKind) -> NpyError {
        NpyError { path: None, kind }
    }

    fn bad_header(msg: impl Into<String>) -> NpyError {
        NpyError::new(NpyErrorKind::BadHeader(msg.into()))
    }

    fn with_path(mut self, path: &Path) -> NpyError {
        self.path = Some(path.to_path_buf());
        self
    }

    /// What went wrong.
    pub fn kind(&self) -> &NpyErrorKind {
        &self.kind
    }

    /// The file involved, if the error came from [`read`] or [`write()`].
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }
}

impl fmt::Display for NpyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(p) = &self.path {
            write!(f, "{}: ", p.display())?;
        }
        fmt::Display::fmt(&self.kind, f)
    }
}

impl fmt::Display for NpyErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NpyErrorKind::Io(e) => write!(f, "{e}"),
            NpyErrorKind::BadMagic => {
                f.write_str("not a .npy file (it does not start with \\x93NUMPY)")
            }
            NpyErrorKind::UnsupportedVersion { major, minor } => write!(
                f,
                "unsupported .npy format version {major}.{minor} (supported: 1.0, 2.0, 3.0)"
            ),
            NpyErrorKind::BadHeader(msg) => write!(f, "malformed .npy header: {msg}"),
            NpyErrorKind::UnsupportedDtype { descr } => {
                write!(f, "unsupported dtype '{descr}'")?;
                if let Some(name) = dtype_name(descr) {
                    write!(f, " ({name})")?;
                }
                if let Some(why) = unsupported_reason(descr) {
                    write!(f, ": {why}")?;
                }
                write!(f, "; numjit reads {SUPPORTED} arrays")
            }
            NpyErrorKind::OutOfMemory { bytes } => write!(
                f,
                "out of memory: unable to allocate {} for the array",
                crate::types::human_bytes(*bytes as f64)
            ),
            NpyErrorKind::Truncated {
                what,
                expected,
                found,
            } => write!(
                f,
                "truncated .npy file: the {what} needs {expected} bytes but only {found} are present"
            ),
        }
    }
}

impl std::error::Error for NpyError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            NpyErrorKind::Io(e) => Some(e),
            _ => None,
        }
    }
}

/// The dtypes [`read_bytes`] accepts, for error messages.
const SUPPORTED: &str =
    "bool, int8 to int64, uint8 to uint32, float16 to float64, complex64, complex128 and byte-string (`S`)";

/// Why a dtype the reader refuses has no numjit dtype, for the error message.
fn unsupported_reason(descr: &str) -> Option<&'static str> {
    const STRUCTURED: &str = "its elements are records, not numbers (save each field as its own \
                              array: np.save('x.npy', a['x']))";
    if descr.starts_with('[') {
        return Some(STRUCTURED);
    }
    let body = descr.trim_start_matches(['<', '>', '|', '=']);
    let kind = body.chars().next()?;
    let size: Option<usize> = body[kind.len_utf8()..].parse().ok();
    Some(match (kind, size) {
        ('u', Some(8)) => {
            "values above 2**63-1 have no numjit dtype (numexpr casts them to int64 unchecked, \
             so they turn negative); convert them with .astype('int64') if they fit"
        }
        ('f', Some(s)) if s > 8 => {
            "long double arrays are laid out differently on different machines, and numjit \
             computes in at most float64; convert them with .astype('float64')"
        }
        ('c', Some(s)) if s > 16 => {
            "long double arrays are laid out differently on different machines, and numjit \
             computes in at most complex128; convert them with .astype('complex128')"
        }
        ('g', _) => {
            "long double arrays are laid out differently on different machines, and numjit \
             computes in at most float64; convert them with .astype('float64')"
        }
        ('U', _) => "numjit has no unicode dtype, only byte strings (`S`), which it compares (numexpr refuses unicode arrays too)",
        ('S', Some(0)) | ('a', Some(0)) => "byte strings of width 0 hold nothing to compare",
        ('S', _) | ('a', _) => {
            "byte strings are inputs only: numjit compares them but makes no byte-string \
             arrays (`numjit eval` binds them; the library reads them with \
             npy::read_contents)"
        }
        ('O', _) => "its elements are Python objects, not numbers",
        ('V', _) => STRUCTURED,
        ('M', _) | ('m', _) => {
            "numjit computes on numbers, not dates or durations; convert them with \
             .astype('int64')"
        }
        _ => return None,
    })
}

/// A readable name for common NumPy dtype descriptors, for error messages.
fn dtype_name(descr: &str) -> Option<String> {
    if descr.starts_with('[') {
        return Some("structured".to_string());
    }
    let body = descr.trim_start_matches(['<', '>', '|', '=']);
    let mut chars = body.chars();
    let kind = chars.next()?;
    let rest = chars.as_str();
    let size: Option<usize> = rest.parse().ok();
    let bits = |s: usize| s * 8;
    Some(match (kind, size) {
        ('b', Some(1)) | ('?', _) => "bool".to_string(),
        ('i', Some(s)) => format!("int{}", bits(s)),
        ('u', Some(s)) => format!("uint{}", bits(s)),
        ('f', Some(s)) if s > 8 => "long double".to_string(),
        ('c', Some(s)) if s > 16 => "complex long double".to_string(),
        ('g', _) => "long double".to_string(),
        ('f', Some(s)) => format!("float{}", bits(s)),
        ('c', Some(s)) => format!("complex{}", bits(s)),
        ('U', _) => "unicode string".to_string(),
        ('S', _) | ('a', _) => "byte string".to_string(),
        ('O', _) => "Python object".to_string(),
        ('V', _) => "void".to_string(),
        ('M', _) => "datetime64".to_string(),
        ('m', _) => "timedelta64".to_string(),
        _ => return None,
    })
}

/// Byte order of multi-byte elements in the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Endian {
    Little,
    Big,
}

/// The element type stored in a file: numjit's dtypes and the narrower ones widened on reading.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stored {
    Bool,
    I8,
    I16,
    I32,
    I64,
    U8,
    U16,
    U32,
    F16,
    F32,
    F64,
    C64,
    C128,
    /// NumPy's `S<width>`: NUL-padded byte strings of `width` bytes.
    Bytes(usize),
}

impl Stored {
    /// Bytes per element in the file.
    fn size(self) -> usize {
        match self {
            Stored::Bool | Stored::I8 | Stored::U8 => 1,
            Stored::I16 | Stored::U16 | Stored::F16 => 2,
            Stored::I32 | Stored::U32 | Stored::F32 => 4,
            Stored::I64 | Stored::F64 | Stored::C64 => 8,
            Stored::C128 => 16,
            Stored::Bytes(w) => w,
        }
    }

    /// The numjit dtype the elements are read as.
    #[cfg(test)]
    fn dtype(self) -> crate::types::DType {
        match self {
            Stored::Bool => crate::types::DType::Bool,
            Stored::I8 | Stored::I16 | Stored::I32 | Stored::U8 | Stored::U16 => {
                crate::types::DType::Int32
            }
            Stored::I64 | Stored::U32 => crate::types::DType::Int64,
            Stored::F16 | Stored::F32 => crate::types::DType::Float32,
            Stored::F64 => crate::types::DType::Float64,
            Stored::C64 | Stored::C128 => crate::types::DType::Complex128,
            Stored::Bytes(w) => crate::types::DType::Bytes(w),
        }
    }
}

/// Parses a dtype descriptor string into the stored element type and the byte order of its data.
fn parse_descr(descr: &str) -> Result<(Stored, Endian), NpyError> {
    let unsupported = || {
        NpyError::new(NpyErrorKind::UnsupportedDtype {
            descr: descr.to_string(),
        })
    };
    let native = if cfg!(target_endian = "big") {
        Endian::Big
    } else {
        Endian::Little
    };
    let (endian, body) = match descr.as_bytes().first() {
        Some(b'<') => (Endian::Little, &descr[1..]),
        Some(b'>') => (Endian::Big, &descr[1..]),
        Some(b'|') | Some(b'=') => (native, &descr[1..]),
        _ => (native, descr),
    };
    let stored = match body {
        "b1" | "?" => Stored::Bool,
        "i1" => Stored::I8,
        "i2" => Stored::I16,
        "i4" => Stored::I32,
        "i8" => Stored::I64,
        "u1" => Stored::U8,
        "u2" => Stored::U16,
        "u4" => Stored::U32,
        "f2" | "e" => Stored::F16,
        "f4" => Stored::F32,
        "f8" => Stored::F64,
        "c8" => Stored::C64,
        "c16" => Stored::C128,
        _ => match body.strip_prefix(['S', 'a']).map(str::parse::<usize>) {
            Some(Ok(w)) if w > 0 => Stored::Bytes(w),
            _ => return Err(unsupported()),
        },
    };
    Ok((stored, endian))
}

/// The float32 with the value of the IEEE 754 half-precision number `bits` (exact: every
/// float16, subnormals included, is a float32; NaN payloads are kept, as NumPy keeps them).
fn f16_to_f32(bits: u16) -> f32 {
    let sign = u32::from(bits >> 15) << 31;
    let exp = u32::from((bits >> 10) & 0x1f);
    let mant = u32::from(bits & 0x3ff);
    let magnitude = match exp {
        // Zero and subnormals: mant * 2**-24, exact in float32.
        0 => (mant as f32 * (1.0 / 16_777_216.0)).to_bits(),
        // Infinities and NaNs.
        0x1f => 0x7f80_0000 | (mant << 13),
        // Normal numbers: rebias the exponent (15 → 127), widen the mantissa.
        _ => ((exp + 127 - 15) << 23) | (mant << 13),
    };
    f32::from_bits(sign | magnitude)
}

// ---------------------------------------------------------------------------------------------
// Header parsing: a tiny parser for the Python literals that appear in `.npy` headers.
// ---------------------------------------------------------------------------------------------

/// A Python literal value.
#[derive(Debug, Clone, PartialEq)]
enum PyValue {
    Str(String),
    Bool(bool),
    Int(i128),
    None,
    Tuple(Vec<PyValue>),
    List(Vec<PyValue>),
    Dict(Vec<(PyValue, PyValue)>),
}

impl PyValue {
    /// A short description of the value's type, for error messages.
    fn type_name(&self) -> &'static str {
        match self {
            PyValue::Str(_) => "a string",
            PyValue::Bool(_) => "a bool",
            PyValue::Int(_) => "an integer",
            PyValue::None => "None",
            PyValue::Tuple(_) => "a tuple",
            PyValue::List(_) => "a list",
            PyValue::Dict(_) => "a dict",
        }
    }
}

/// Recursive-descent parser over the header text.
struct Parser<'a> {
    chars: Vec<char>,
    pos: usize,
    text: &'a str,
}

/// Nesting depth beyond which the header is rejected (guards against stack exhaustion).
const MAX_DEPTH: usize = 32;

impl<'a> Parser<'a> {
    fn new(text: &'a str) -> Self {
        Parser {
            chars: text.chars().collect(),
            pos: 0,
            text,
        }
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(c) if c.is_whitespace()) {
            self.pos += 1;
        }
    }

    fn err(&self, msg: &str) -> NpyError {
        NpyError::bad_header(format!(
            "{msg} at character {} of {:?}",
            self.pos,
            self.text.trim_end()
        ))
    }

    fn expect(&mut self, c: char) -> Result<(), NpyError> {
        self.skip_ws();
        if self.peek() == Some(c) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.err(&format!("expected '{c}'")))
        }
    }

    /// Parses the whole text as one value followed only by whitespace.
    fn parse_all(mut self) -> Result<PyValue, NpyError> {
        let v = self.value(0)?;
        self.skip_ws();
        if self.pos != self.chars.len() {
            return Err(self.err("unexpected text after the header dict"));
        }
        Ok(v)
    }

    fn value(&mut self, depth: usize) -> Result<PyValue, NpyError> {
        if depth > MAX_DEPTH {
            return Err(self.err("header nested too deeply"));
        }
        self.skip_ws();
        match self.peek() {
            None => Err(self.err("unexpected end of header")),
            Some('\'') | Some('"') => self.string(),
            Some('(') => {
                self.pos += 1;
                let (items, trailing_comma) = self.sequence(')', depth)?;
                if items.len() == 1 && !trailing_comma {
                    // `(x)` is just a parenthesised value, not a tuple.
                    Ok(items.into_iter().next().unwrap_or(PyValue::None))
                } else {
                    Ok(PyValue::Tuple(items))
                }
            }
            Some('[') => {
                self.pos += 1;
                Ok(PyValue::List(self.sequence(']', depth)?.0))
            }
            Some('{') => {
                self.pos += 1;
                self.dict(depth)
            }
            Some(c) if c.is_ascii_digit() || c == '-' || c == '+' => self.int(),
            Some(c) if c.is_alphabetic() || c == '_' => {
                let start = self.pos;
                while matches!(self.peek(), Some(c) if c.is_alphanumeric() || c == '_') {
                    self.pos += 1;
                }
                let word: String = self.chars[start..self.pos].iter().collect();
                match word.as_str() {
                    "True" => Ok(PyValue::Bool(true)),
                    "False" => Ok(PyValue::Bool(false)),
                    "None" => Ok(PyValue::None),
                    _ => {
                        self.pos = start;
                        Err(self.err(&format!("unexpected name '{word}'")))
                    }
                }
            }
            Some(c) => Err(self.err(&format!("unexpected character {c:?}"))),
        }
    }

    /// Parses comma-separated values up to `close`; returns them and whether a comma followed
    /// the last one.
    fn sequence(&mut self, close: char, depth: usize) -> Result<(Vec<PyValue>, bool), NpyError> {
        let mut items = Vec::new();
        let mut trailing_comma = false;
        loop {
            self.skip_ws();
            if self.peek() == Some(close) {
                self.pos += 1;
                return Ok((items, trailing_comma));
            }
            if !items.is_empty() && !trailing_comma {
                return Err(self.err(&format!("expected ',' or '{close}'")));
            }
            items.push(self.value(depth + 1)?);
            self.skip_ws();
            trailing_comma = self.peek() == Some(',');
            if trailing_comma {
                self.pos += 1;
            }
        }
    }

    fn dict(&mut self, depth: usize) -> Result<PyValue, NpyError> {
        let mut items = Vec::new();
        loop {
            self.skip_ws();
            if self.peek() == Some('}') {
                self.pos += 1;
                return Ok(PyValue::Dict(items));
            }
            let key = self.value(depth + 1)?;
            self.expect(':')?;
            let value = self.value(depth + 1)?;
            items.push((key, value));
            self.skip_ws();
            match self.peek() {
                Some(',') => self.pos += 1,
                Some('}') => {}
                _ => return Err(self.err("expected ',' or '}'")),
            }
        }
    }

    fn string(&mut self) -> Result<PyValue, NpyError> {
        let quote = self.peek().unwrap_or('\'');
        self.pos += 1;
        let mut s = String::new();
        loop {
            match self.peek() {
                None => return Err(self.err("unterminated string")),
                Some(c) if c == quote => {
                    self.pos += 1;
                    return Ok(PyValue::Str(s));
                }
                Some('\\') => {
                    self.pos += 1;
                    match self.peek() {
                        None => return Err(self.err("unterminated string")),
                        Some(c) => {
                            s.push(match c {
                                'n' => '\n',
                                't' => '\t',
                                'r' => '\r',
                                '0' => '\0',
                                other => other,
                            });
                            self.pos += 1;
                        }
                    }
                }
                Some(c) => {
                    s.push(c);
                    self.pos += 1;
                }
            }
        }
    }

    fn int(&mut self) -> Result<PyValue, NpyError> {
        let start = self.pos;
        let negative = match self.peek() {
            Some('-') => {
                self.pos += 1;
                true
            }
            Some('+') => {
                self.pos += 1;
                false
            }
            _ => false,
        };
        let digits_start = self.pos;
        while matches!(self.peek(), Some(c) if c.is_ascii_digit() || c == '_') {
            self.pos += 1;
        }
        let digits: String = self.chars[digits_start..self.pos]
            .iter()
            .filter(|&&c| c != '_')
            .collect();
        // Python 2 wrote longs as `3L`.
        if matches!(self.peek(), Some('L') | Some('l')) {
            self.pos += 1;
        }
        if digits.is_empty() {
            self.pos = start;
            return Err(self.err("expected a number"));
        }
        let magnitude: i128 = digits.parse().map_err(|_| {
            self.pos = start;
            self.err("integer too large")
        })?;
        Ok(PyValue::Int(if negative { -magnitude } else { magnitude }))
    }
}

/// The parsed header of a `.npy` file.
#[derive(Debug)]
struct Header {
    stored: Stored,
    endian: Endian,
    fortran_order: bool,
    shape: Vec<usize>,
}

/// Interprets the header dict.
fn parse_header(text: &str) -> Result<Header, NpyError> {
    let value = Parser::new(text).parse_all()?;
    let PyValue::Dict(items) = value else {
        return Err(NpyError::bad_header(format!(
            "the header is {}, not a dict",
            value.type_name()
        )));
    };
    let mut descr = None;
    let mut fortran_order = None;
    let mut shape = None;
    for (key, value) in items {
        let PyValue::Str(key) = key else {
            return Err(NpyError::bad_header(format!(
                "header key is {}, not a string",
                key.type_name()
            )));
        };
        let slot = match key.as_str() {
            "descr" => &mut descr,
            "fortran_order" => &mut fortran_order,
            "shape" => &mut shape,
            _ => {
                return Err(NpyError::bad_header(format!(
                    "unexpected key '{key}' (expected 'descr', 'fortran_order' and 'shape')"
                )))
            }
        };
        *slot = Some(value);
    }
    let missing = |k: &str| NpyError::bad_header(format!("the header has no '{k}' key"));
    let descr = descr.ok_or_else(|| missing("descr"))?;
    let fortran_order = fortran_order.ok_or_else(|| missing("fortran_order"))?;
    let shape = shape.ok_or_else(|| missing("shape"))?;

    let (stored, endian) = match &descr {
        PyValue::Str(s) => parse_descr(s)?,
        // A list of fields: a structured dtype.
        PyValue::List(_) => {
            return Err(NpyError::new(NpyErrorKind::UnsupportedDtype {
                descr: describe_structured(&descr),
            }))
        }
        other => {
            return Err(NpyError::bad_header(format!(
                "'descr' is {}, not a dtype descriptor",
                other.type_name()
            )))
        }
    };
    let PyValue::Bool(fortran_order) = fortran_order else {
        return Err(NpyError::bad_header(format!(
            "'fortran_order' is {}, not True or False",
            fortran_order.type_name()
        )));
    };
    let PyValue::Tuple(dims) = shape else {
        return Err(NpyError::bad_header(format!(
            "'shape' is {}, not a tuple",
            shape.type_name()
        )));
    };
    let shape = dims
        .iter()
        .map(|d| match d {
            PyValue::Int(n) => usize::try_from(*n)
                .map_err(|_| NpyError::bad_header(format!("invalid dimension {n} in 'shape'"))),
            other => Err(NpyError::bad_header(format!(
                "a dimension in 'shape' is {}, not an integer",
                other.type_name()
            ))),
        })
        .collect::<Result<Vec<usize>, NpyError>>()?;
    Ok(Header {
        stored,
        endian,
        fortran_order,
        shape,
    })
}

/// Renders a structured dtype's descr list like Python's repr, for the error message.
fn describe_structured(v: &PyValue) -> String {
    match v {
        PyValue::Str(s) => format!("'{s}'"),
        PyValue::Bool(b) => if *b { "True" } else { "False" }.to_string(),
        PyValue::Int(n) => n.to_string(),
        PyValue::None => "None".to_string(),
        PyValue::Tuple(items) => {
            let inner: Vec<String> = items.iter().map(describe_structured).collect();
            if items.len() == 1 {
                format!("({},)", inner[0])
            } else {
                format!("({})", inner.join(", "))
            }
        }
        PyValue::List(items) => {
            let inner: Vec<String> = items.iter().map(describe_structured).collect();
            format!("[{}]", inner.join(", "))
        }
        PyValue::Dict(items) => {
            let inner: Vec<String> = items
                .iter()
                .map(|(k, v)| format!("{}: {}", describe_structured(k), describe_structured(v)))
                .collect();
            format!("{{{}}}", inner.join(", "))
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------------------------

/// Fixed-width byte strings read from a `.npy` file (NumPy's `S<width>` arrays): numjit compares
/// them but never makes them, so they are not an [`Array`]; [`ByteStrings::arg`] binds them as
/// an input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ByteStrings {
    width: usize,
    shape: Vec<usize>,
    data: Vec<u8>,
}

impl ByteStrings {
    /// Bytes per string (at least 1); shorter strings are padded with NULs.
    pub fn width(&self) -> usize {
        self.width
    }

    /// The array's shape.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// The strings, `width` bytes each, in C order.
    pub fn data(&self) -> &[u8] {
        &self.data
    }

    /// The strings as an input of dtype `DType::Bytes(width)`.
    pub fn arg(&self) -> crate::types::Arg<'_> {
        crate::types::Arg::bytes(&self.data, self.width, &self.shape)
    }
}

/// What a `.npy` file holds: an [`Array`], or byte strings.
#[derive(Clone, Debug, PartialEq)]
pub enum Contents {
    /// bool, integer, float or complex data (narrower dtypes widened, see [`read_bytes`]).
    Array(Array),
    /// Byte strings (`S<width>`).
    Bytes(ByteStrings),
}

/// Reads a `.npy` file.
///
/// Errors name the path; see [`read_bytes`] for what is accepted. The file is read as it is
/// decoded, into an array allocated once, fallibly: a header that claims more elements than
/// the file holds is [`NpyErrorKind::Truncated`] before anything is allocated, and an array the
/// allocator refuses is [`NpyErrorKind::OutOfMemory`].
pub fn read(path: &Path) -> Result<Array, NpyError> {
    into_array(read_contents(path)?).map_err(|e| e.with_path(path))
}

/// Reads a `.npy` file holding an array [`read`] accepts or byte strings (`S<width>`).
pub fn read_contents(path: &Path) -> Result<Contents, NpyError> {
    let io = |e: io::Error| NpyError::new(NpyErrorKind::Io(e)).with_path(path);
    let mut file = std::fs::File::open(path).map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    // A pipe or device has no length: it is read until the array is complete (a short one
    // is an IO error at its end).
    let len = if meta.is_file() { meta.len() } else { u64::MAX };
    read_from(&mut file, len).map_err(|e| e.with_path(path))
}

/// Parses the contents of a `.npy` file.
///
/// Accepts format versions 1.0, 2.0 and 3.0; dtypes bool (`|b1`), int32 (`<i4`), int64 (`<i8`),
/// float32 (`<f4`), float64 (`<f8`) and complex128 (`<c16`), and the narrower int8, int16, uint8,
/// uint16 (read as int32), uint32 (as int64), float16 (as float32) and complex64 (as
/// complex128), in either byte order; C or Fortran order; any rank. Other dtypes, malformed
/// headers and truncated data are reported as errors. Bytes after the data are ignored.
///
/// Byte strings (`|S3`) are an error here: they are not an [`Array`]; see
/// [`read_contents_bytes`].
pub fn read_bytes(bytes: &[u8]) -> Result<Array, NpyError> {
    into_array(read_contents_bytes(bytes)?)
}

/// The array of `c`; byte strings are an unsupported dtype where an [`Array`] is wanted.
fn into_array(c: Contents) -> Result<Array, NpyError> {
    match c {
        Contents::Array(a) => Ok(a),
        Contents::Bytes(b) => Err(NpyError::new(NpyErrorKind::UnsupportedDtype {
            descr: format!("|S{}", b.width),
        })),
    }
}

/// Parses the contents of a `.npy` file holding an array [`read_bytes`] accepts or byte strings
/// (`S<width>`, in C or Fortran order; returned in C order).
pub fn read_contents_bytes(mut bytes: &[u8]) -> Result<Contents, NpyError> {
    let len = bytes.len() as u64;
    read_from(&mut bytes, len)
}

/// The longest header read (16 MiB, a shape of millions of axes; NumPy's own `np.load`
/// refuses headers over 10,000 bytes unless told otherwise), so that what parsing it
/// allocates stays bounded.
const MAX_HEADER_LEN: usize = 16 << 20;

/// Bytes read from the file at a time.
const CHUNK: usize = 1 << 16;

/// An empty vector with room for `n` elements, or [`NpyErrorKind::OutOfMemory`].
fn try_vec<T>(n: usize) -> Result<Vec<T>, NpyError> {
    let mut v = Vec::new();
    v.try_reserve_exact(n).map_err(|_| {
        let bytes = (n as u64).saturating_mul(std::mem::size_of::<T>() as u64);
        NpyError::new(NpyErrorKind::OutOfMemory { bytes })
    })?;
    Ok(v)
}

/// `n` elements of `size` bytes each read from `r` and converted by `f`, into one vector
/// allocated (fallibly) before anything is read.
fn decode<T>(
    r: &mut impl io::Read,
    n: usize,
    size: usize,
    f: impl Fn(&[u8]) -> T,
) -> Result<Vec<T>, NpyError> {
    let mut out = try_vec::<T>(n)?;
    let mut chunk = vec![0u8; CHUNK / size * size];
    while out.len() < n {
        let k = (n - out.len()).min(chunk.len() / size);
        let bytes = &mut chunk[..k * size];
        r.read_exact(bytes)
            .map_err(|e| NpyError::new(NpyErrorKind::Io(e)))?;
        out.extend(bytes.chunks_exact(size).map(&f));
    }
    Ok(out)
}

/// The `N` bytes of `b` at `at`, in little-endian order (reversed from big-endian).
fn word<const N: usize>(b: &[u8], at: usize, big: bool) -> [u8; N] {
    let mut w = [0u8; N];
    w.copy_from_slice(&b[at..at + N]);
    if big {
        w.reverse();
    }
    w
}

/// Parses a `.npy` file from `r`, which holds `len` bytes: the header first, then the data,
/// decoded chunk by chunk into the array's one allocation.
fn read_from(r: &mut impl io::Read, len: u64) -> Result<Contents, NpyError> {
    let found = usize::try_from(len).unwrap_or(usize::MAX);
    let head = decode(r, found.min(MAGIC.len() + 6), 1, |b| b[0])?;
    if head.len() < MAGIC.len() || &head[..MAGIC.len()] != MAGIC {
        // A prefix of the magic string is a truncated file rather than some other format.
        if head.len() < MAGIC.len() && MAGIC.starts_with(&head) && !head.is_empty() {
            return Err(truncated("header", MAGIC.len() + 4, found));
        }
        return Err(NpyError::new(NpyErrorKind::BadMagic));
    }
    if head.len() < 8 {
        return Err(truncated("header", 10, found));
    }
    let (major, minor) = (head[6], head[7]);
    let len_size = match (major, minor) {
        (1, 0) => 2,
        (2, 0) | (3, 0) => 4,
        _ => {
            return Err(NpyError::new(NpyErrorKind::UnsupportedVersion {
                major,
                minor,
            }))
        }
    };
    let prefix = 8 + len_size;
    if found < prefix {
        return Err(truncated("header", prefix, found));
    }
    let header_len = if len_size == 2 {
        u16::from_le_bytes([head[8], head[9]]) as usize
    } else {
        u32::from_le_bytes([head[8], head[9], head[10], head[11]]) as usize
    };
    let data_start = prefix + header_len;
    if found < data_start {
        return Err(truncated("header", data_start, found));
    }
    if header_len > MAX_HEADER_LEN {
        return Err(NpyError::bad_header(format!(
            "the header is {header_len} bytes long; numjit reads headers of up to {MAX_HEADER_LEN}"
        )));
    }
    // What `head` holds past the prefix comes first (the header's start, or with a header
    // shorter than 2 bytes, data).
    let mut r = io::Read::chain(&head[prefix..], r);
    let r = &mut r;
    let raw = decode(r, header_len, 1, |b| b[0])?;
    let text: String = if major == 3 {
        String::from_utf8(raw).map_err(|_| NpyError::bad_header("the header is not valid UTF-8"))?
    } else {
        // Versions 1.0 and 2.0 use latin-1, whose bytes map one to one onto code points.
        raw.iter().map(|&b| b as char).collect()
    };
    let header = parse_header(&text)?;

    let too_large = || NpyError::bad_header(format!("shape {:?} is too large", header.shape));
    let count = header
        .shape
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .ok_or_else(too_large)?;
    let nbytes = count
        .checked_mul(header.stored.size())
        .ok_or_else(too_large)?;
    // As ndarray requires (and NumPy): even with an empty axis, the other axes' lengths must
    // multiply to an addressable size.
    header
        .shape
        .iter()
        .filter(|&&d| d != 0)
        .try_fold(header.stored.size(), |acc, &d| acc.checked_mul(d))
        .filter(|&n| n <= isize::MAX as usize)
        .ok_or_else(too_large)?;
    // The file must hold the data before anything is allocated for it.
    if found - data_start < nbytes {
        return Err(truncated("data", nbytes, found - data_start));
    }

    let shape = header.shape.as_slice();
    let fortran = header.fortran_order;
    let shaped = |r: Result<Array, ndarray::ShapeError>| {
        r.map_err(|e| NpyError::bad_header(format!("invalid shape {shape:?}: {e}")))
    };
    fn array<T>(shape: &[usize], fortran: bool, v: Vec<T>) -> Result<Array, ndarray::ShapeError>
    where
        Array: From<ArrayD<T>>,
    {
        let a = if fortran {
            ArrayD::from_shape_vec(shape.f(), v)
        } else {
            ArrayD::from_shape_vec(shape, v)
        };
        a.map(Array::from)
    }
    let big = header.endian == Endian::Big;
    let n = count;
    let f64_at = |b: &[u8], at: usize| f64::from_le_bytes(word(b, at, big));
    let a = match header.stored {
        Stored::Bytes(width) => {
            let data = decode(r, nbytes, 1, |b| b[0])?;
            let data = if fortran && shape.len() > 1 {
                // Element k of the file is at Fortran position k; gather them in C order.
                let mut at = try_vec::<usize>(n)?;
                at.extend(0..n);
                let at = ArrayD::from_shape_vec(shape.f(), at)
                    .map_err(|e| NpyError::bad_header(format!("invalid shape {shape:?}: {e}")))?;
                let mut out = try_vec::<u8>(nbytes)?;
                for &k in at.iter() {
                    out.extend_from_slice(&data[k * width..(k + 1) * width]);
                }
                out
            } else {
                data
            };
            return Ok(Contents::Bytes(ByteStrings {
                width,
                shape: shape.to_vec(),
                data,
            }));
        }
        Stored::Bool => array(shape, fortran, decode(r, n, 1, |b| b[0] != 0)?),
        Stored::I8 => array(shape, fortran, decode(r, n, 1, |b| i32::from(b[0] as i8))?),
        Stored::I16 => array(
            shape,
            fortran,
            decode(r, n, 2, |b| i32::from(i16::from_le_bytes(word(b, 0, big))))?,
        ),
        Stored::I32 => array(
            shape,
            fortran,
            decode(r, n, 4, |b| i32::from_le_bytes(word(b, 0, big)))?,
        ),
        Stored::I64 => array(
            shape,
            fortran,
            decode(r, n, 8, |b| i64::from_le_bytes(word(b, 0, big)))?,
        ),
        Stored::U8 => array(shape, fortran, decode(r, n, 1, |b| i32::from(b[0]))?),
        Stored::U16 => array(
            shape,
            fortran,
            decode(r, n, 2, |b| i32::from(u16::from_le_bytes(word(b, 0, big))))?,
        ),
        Stored::U32 => array(
            shape,
            fortran,
            decode(r, n, 4, |b| i64::from(u32::from_le_bytes(word(b, 0, big))))?,
        ),
        Stored::F16 => array(
            shape,
            fortran,
            decode(r, n, 2, |b| f16_to_f32(u16::from_le_bytes(word(b, 0, big))))?,
        ),
        Stored::F32 => array(
            shape,
            fortran,
            decode(r, n, 4, |b| f32::from_le_bytes(word(b, 0, big)))?,
        ),
        Stored::F64 => array(shape, fortran, decode(r, n, 8, |b| f64_at(b, 0))?),
        Stored::C64 => array(
            shape,
            fortran,
            decode(r, n, 8, |b| {
                let part = |at| f64::from(f32::from_le_bytes(word(b, at, big)));
                Complex64::new(part(0), part(4))
            })?,
        ),
        Stored::C128 => array(
            shape,
            fortran,
            decode(r, n, 16, |b| Complex64::new(f64_at(b, 0), f64_at(b, 8)))?,
        ),
    };
    shaped(a).map(Contents::Array)
}

fn truncated(what: &'static str, expected: usize, found: usize) -> NpyError {
    NpyError::new(NpyErrorKind::Truncated {
        what,
        expected: expected as u64,
        found: found as u64,
    })
}

// ---------------------------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------------------------

/// Writes `a` to a `.npy` file (see [`to_bytes`] for the layout). Errors name the path.
pub fn write(path: &Path, a: &Array) -> Result<(), NpyError> {
    let io = |e: io::Error| NpyError::new(NpyErrorKind::Io(e)).with_path(path);
    let mut file = std::fs::File::create(path).map_err(io)?;
    write_to(&mut file, a).map_err(io)
}

/// The bytes of a `.npy` file holding `a`, identical to what `numpy.save` writes on a
/// little-endian machine.
///
/// Uses format version 1.0 unless the header is too long for it (2.0 then), little-endian data,
/// and Fortran order only when the array is Fortran-contiguous but not C-contiguous; any other
/// memory layout is written in C order.
pub fn to_bytes(a: &Array) -> Vec<u8> {
    let mut out = Vec::new();
    write_to(&mut out, a).expect("writing into a vector cannot fail");
    out
}

/// Writes the bytes [`to_bytes`] describes to `w`, a chunk at a time (no copy of the array).
fn write_to(w: &mut impl io::Write, a: &Array) -> io::Result<()> {
    match a {
        Array::Bool(x) => encode(w, x, "|b1", |v, out| out.push(u8::from(*v))),
        Array::Int32(x) => encode(w, x, "<i4", |v, out| {
            out.extend_from_slice(&v.to_le_bytes())
        }),
        Array::Int64(x) => encode(w, x, "<i8", |v, out| {
            out.extend_from_slice(&v.to_le_bytes())
        }),
        Array::Float32(x) => encode(w, x, "<f4", |v, out| {
            out.extend_from_slice(&v.to_le_bytes())
        }),
        Array::Float64(x) => encode(w, x, "<f8", |v, out| {
            out.extend_from_slice(&v.to_le_bytes())
        }),
        Array::Complex128(x) => encode(w, x, "<c16", |v, out| {
            out.extend_from_slice(&v.re.to_le_bytes());
            out.extend_from_slice(&v.im.to_le_bytes());
        }),
    }
}

fn encode<T>(
    w: &mut impl io::Write,
    a: &ArrayD<T>,
    descr: &str,
    put: impl Fn(&T, &mut Vec<u8>),
) -> io::Result<()> {
    let fortran = !a.is_standard_layout() && a.t().is_standard_layout();
    w.write_all(&header_bytes(descr, fortran, a.shape()))?;
    let t = a.t();
    let elements: Box<dyn Iterator<Item = &T>> = if fortran {
        Box::new(t.iter())
    } else {
        Box::new(a.iter())
    };
    let mut buf = Vec::with_capacity(CHUNK + 16);
    for v in elements {
        put(v, &mut buf);
        if buf.len() >= CHUNK {
            w.write_all(&buf)?;
            buf.clear();
        }
    }
    w.write_all(&buf)
}

/// Python's `repr` of a shape tuple: `()`, `(3,)`, `(2, 3)`.
fn shape_repr(shape: &[usize]) -> String {
    match shape {
        [] => "()".to_string(),
        [n] => format!("({n},)"),
        _ => {
            let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
            format!("({})", dims.join(", "))
        }
    }
}

/// The magic string, version, header length and padded header, as NumPy writes them.
fn header_bytes(descr: &str, fortran: bool, shape: &[usize]) -> Vec<u8> {
    let mut header = format!(
        "{{'descr': '{descr}', 'fortran_order': {}, 'shape': {}, }}",
        if fortran { "True" } else { "False" },
        shape_repr(shape)
    );
    let growth_axis = if fortran { shape.last() } else { shape.first() };
    if let Some(d) = growth_axis {
        let digits = d.to_string().len();
        header.push_str(&" ".repeat(GROWTH_AXIS_MAX_DIGITS.saturating_sub(digits)));
    }
    let hlen = header.len() + 1;
    let wrap = |len_size: usize| {
        let padlen = ARRAY_ALIGN - ((MAGIC.len() + 2 + len_size + hlen) % ARRAY_ALIGN);
        (padlen, hlen + padlen)
    };
    let mut out = Vec::with_capacity(hlen + ARRAY_ALIGN + 12);
    out.extend_from_slice(MAGIC);
    let (padlen, total) = wrap(2);
    let padlen = match u16::try_from(total) {
        Ok(total) => {
            out.extend_from_slice(&[1, 0]);
            out.extend_from_slice(&total.to_le_bytes());
            padlen
        }
        Err(_) => {
            let (padlen, total) = wrap(4);
            out.extend_from_slice(&[2, 0]);
            // A header of 4 GiB would need a shape with hundreds of millions of dimensions.
            out.extend_from_slice(&u32::try_from(total).unwrap_or(u32::MAX).to_le_bytes());
            padlen
        }
    };
    out.extend_from_slice(header.as_bytes());
    out.extend(std::iter::repeat_n(b' ', padlen));
    out.push(b'\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::DType;

    #[test]
    fn parses_python_literals() {
        let h =
            parse_header("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }").unwrap();
        assert_eq!(h.shape, vec![2, 3]);
        assert_eq!(h.stored.dtype(), DType::Float64);
        assert!(!h.fortran_order);
        let h =
            parse_header("{\"descr\":\">i8\",\"fortran_order\":True,\"shape\":(4L,)}\n").unwrap();
        assert_eq!(
            (h.stored.dtype(), h.endian, h.fortran_order),
            (DType::Int64, Endian::Big, true)
        );
        assert_eq!(h.shape, vec![4]);
        let h = parse_header("{'descr': '|b1', 'fortran_order': False, 'shape': ()}").unwrap();
        assert_eq!(h.shape, Vec::<usize>::new());
        // `(3)` is the integer 3, not a tuple.
        assert!(parse_header("{'descr': '<f8', 'fortran_order': False, 'shape': (3)}").is_err());
        assert!(parse_header("{'descr': '<f8', 'fortran_order': False, 'shape': (-1,)}").is_err());
        assert!(parse_header("{'descr': '<f8', 'fortran_order': False}").is_err());
        assert!(parse_header("{'descr': '<f8', 'fortran_order': 0, 'shape': ()}").is_err());
        assert!(
            parse_header("{'descr': '<f8', 'fortran_order': False, 'shape': (), 'x': 1}").is_err()
        );
        assert!(parse_header("{'descr': '<f8', 'fortran_order': False, 'shape': (1,").is_err());
        assert!(parse_header("[1, 2]").is_err());
        assert!(parse_header(&"(".repeat(1000)).is_err());
    }

    #[test]
    fn descriptors() {
        for (descr, stored, dtype) in [
            ("|b1", Stored::Bool, DType::Bool),
            ("|i1", Stored::I8, DType::Int32),
            ("<i2", Stored::I16, DType::Int32),
            (">i4", Stored::I32, DType::Int32),
            ("<i8", Stored::I64, DType::Int64),
            ("|u1", Stored::U8, DType::Int32),
            (">u2", Stored::U16, DType::Int32),
            ("<u4", Stored::U32, DType::Int64),
            ("<f2", Stored::F16, DType::Float32),
            ("<f4", Stored::F32, DType::Float32),
            ("<f8", Stored::F64, DType::Float64),
            ("<c8", Stored::C64, DType::Complex128),
            (">c16", Stored::C128, DType::Complex128),
            ("|S3", Stored::Bytes(3), DType::Bytes(3)),
        ] {
            let (s, _) = parse_descr(descr).unwrap();
            assert_eq!((s, s.dtype()), (stored, dtype), "{descr}");
        }
        for descr in [
            "<u8", "<f16", "<c32", "|S0", "<U3", "|O", "|V8", "<M8[s]", "<m8[D]", "<i16",
        ] {
            assert!(parse_descr(descr).is_err(), "{descr}");
        }
    }

    #[test]
    fn half_to_single() {
        for (bits, want) in [
            (0x0000u16, 0.0f32),
            (0x3c00, 1.0),
            (0xc000, -2.0),
            (0x7bff, 65504.0),
            (0x0400, 6.103_515_6e-5),
            (0x0001, 5.960_464_5e-8),
            (0x03ff, 6.097_555e-5),
            (0x7c00, f32::INFINITY),
            (0xfc00, f32::NEG_INFINITY),
            (0x3555, 0.333_251_95),
        ] {
            assert_eq!(f16_to_f32(bits), want, "{bits:#06x}");
        }
        assert!(f16_to_f32(0x8000).is_sign_negative());
        assert_eq!(f16_to_f32(0x7e00).to_bits(), 0x7fc0_0000);
        assert_eq!(f16_to_f32(0xfd01).to_bits(), 0xffa0_2000);
    }

    #[test]
    fn structured_dtype_is_unsupported() {
        let e = parse_header(
            "{'descr': [('a', '<f8'), ('b', '<i4')], 'fortran_order': False, 'shape': (2,)}",
        )
        .unwrap_err();
        assert!(matches!(
            e.kind(),
            NpyErrorKind::UnsupportedDtype { descr } if descr == "[('a', '<f8'), ('b', '<i4')]"
        ));
        assert!(e.to_string().contains("(structured)"), "{e}");
    }

    #[test]
    fn header_is_aligned() {
        for shape in [&[][..], &[3], &[2, 3], &[1, 2, 3, 4, 5, 6, 7, 8]] {
            let h = header_bytes("<f8", false, shape);
            assert_eq!(h.len() % ARRAY_ALIGN, 0);
            assert_eq!(*h.last().unwrap(), b'\n');
        }
        let long: Vec<usize> = vec![1; 30_000];
        let h = header_bytes("<f8", false, &long);
        assert_eq!(&h[6..8], &[2, 0]);
        assert_eq!(h.len() % ARRAY_ALIGN, 0);
    }
}
