//! The one integration-test binary; each module tests one feature.
mod api;
mod complex_edges;
mod corpus;
mod dtypes;
mod errors;
mod fuzz;
mod hostile;
mod interrupt;
mod language;
mod macros;
mod npy;
#[path = "../support/numpy_cases.rs"]
#[allow(dead_code)] // shared with the command's tests, which use all of it
mod numpy_cases;
mod numpy_oracle;
mod props;
mod raw_parts;
mod reduce;
mod refmath;
mod reuse;
mod simd;
mod slicing;
mod vmath;
mod wide;
