fn main() {
    let _ = numjit_macros::eval!("a + * b");
}
