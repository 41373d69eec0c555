fn main() {
    let _ = numjit_macros::evaluate!("a + b");
}
