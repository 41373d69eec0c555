fn main() {
    let text = "a + b";
    let _ = numjit_macros::eval!(text);
}
