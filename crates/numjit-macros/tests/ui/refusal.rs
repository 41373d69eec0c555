fn main() {
    let _ = numjit_macros::eval!("a > 1 and b < 2");
}
