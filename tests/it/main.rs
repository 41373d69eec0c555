//! The one integration-test binary; each module tests one feature.
mod api;
mod cli;
mod corpus;
mod errors;
mod npy;
mod numpy_oracle;
mod props;
mod simd;
mod slicing;
mod vmath;
