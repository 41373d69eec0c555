//! The one integration-test binary; each module tests one feature.
mod api;
mod bench_cmd;
mod bin;
mod cli;
mod corpus;
mod dtypes;
mod errors;
mod npy;
mod numexpr_cli;
mod numpy_oracle;
mod props;
mod reduce;
mod repl;
mod simd;
mod slicing;
mod vmath;
