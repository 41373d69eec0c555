fn main() {
    let _ = numjit_macros::execute!("x[1:] = y\nz = (y + 1");
}
