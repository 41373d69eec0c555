//! Compile-time errors of the macros: a syntax error in the text is a compile error showing
//! the text with a caret under the mistake, and malformed macro arguments say how to call the
//! macro. (The expansions of these cases are `compile_error!` alone, so they need no numjit;
//! the successful expansions are tested in crates/numjit/tests/it/macros.rs.)

#[test]
fn compile_errors() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
