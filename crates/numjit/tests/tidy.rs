//! The house rules, read from the sources (ARCHITECTURE.md names each):
//!
//! 1. The engine's top-level modules form a pipeline ([`ORDER`]); a module imports only modules
//!    before it, so there is no cycle and data flows one way.
//! 2. `unsafe` appears only in the modules named for it ([`UNSAFE_MODULES`]; in the Python
//!    extension, numjit-py, only its `raw.rs`), and every `unsafe`
//!    block, impl and fn there has a `// SAFETY:` argument (or a `# Safety` section) just above.
//! 3. Every source file opens with a doc line saying what it owns (`//! Owns ...`) and one
//!    saying what it must not touch (`//! Must not ...`), before the first blank doc line.
//! 4. The syntax crate depends on logos only and forbids `unsafe`; the engine never prints,
//!    and reads or writes files only in its `.npy` module.
//!
//! Test modules (everything from a file's first `#[cfg(test)]` or `#[cfg(all(test, ...))]` on)
//! are exempt from rule 1: a test may drive any stage. Comments and string literals are
//! ignored.

use std::path::{Path, PathBuf};

/// The engine's top-level modules, in data-flow order.
const ORDER: [&str; 12] = [
    "types",
    "npy",
    "format",
    "semantics",
    "ir",
    "check",
    "interp",
    "codegen",
    "exec",
    "reduce",
    "api",
    "dist",
];

/// The only files where `unsafe` may appear: raw views, the JIT call boundary and the
/// wide-vector tile routines (target-feature calls).
const UNSAFE_MODULES: [&str; 3] = ["types/raw.rs", "exec/call.rs", "codegen/wide.rs"];

fn crate_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(name)
}

/// Every `.rs` file under `dir`, as (path relative to `dir`, text), sorted.
fn sources(dir: &Path) -> Vec<(String, String)> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, String)>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.expect("directory entry").path())
            .collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                walk(root, &p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let rel = p.strip_prefix(root).expect("under root");
                let rel = rel.to_string_lossy().replace('\\', "/");
                let text = std::fs::read_to_string(&p).expect("readable source");
                out.push((rel, text));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    assert!(!out.is_empty(), "no sources under {}", dir.display());
    out
}

/// The text with comments and the contents of string and char literals blanked out, line
/// structure kept.
fn code_only(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let b: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == '/' && b.get(i + 1) == Some(&'/') {
            while i < b.len() && b[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && b.get(i + 1) == Some(&'*') {
            i += 2;
            while i < b.len() && !(b[i] == '*' && b.get(i + 1) == Some(&'/')) {
                if b[i] == '\n' {
                    out.push('\n');
                }
                i += 1;
            }
            i += 2;
        } else if c == '"' {
            out.push('"');
            i += 1;
            while i < b.len() && b[i] != '"' {
                if b[i] == '\\' {
                    i += 1;
                }
                if i < b.len() && b[i] == '\n' {
                    out.push('\n');
                }
                i += 1;
            }
            out.push('"');
            i += 1;
        } else if c == '\'' && b.get(i + 2) == Some(&'\'') {
            // A one-character literal like '"' (lifetimes have no closing quote).
            out.push_str("' '");
            i += 3;
        } else if c == '\'' && b.get(i + 1) == Some(&'\\') {
            // An escaped character literal like '\n' or '\''.
            i += 2;
            while i < b.len() && b[i] != '\'' {
                i += 1;
            }
            out.push_str("' '");
            i += 1;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// The part of a file before its test module.
fn non_test(text: &str) -> &str {
    let cut = ["#[cfg(test)]", "#[cfg(all(test"]
        .iter()
        .filter_map(|m| text.find(m))
        .min()
        .unwrap_or(text.len());
    &text[..cut]
}

/// The engine module a file belongs to (`codegen/vmath.rs` → `codegen`, `npy.rs` → `npy`).
fn module_of(rel: &str) -> &str {
    rel.split('/')
        .next()
        .expect("a path")
        .trim_end_matches(".rs")
}

/// The top-level modules a piece of code reaches through `crate::`, with line numbers.
fn crate_imports(code: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for (n, line) in code.lines().enumerate() {
        let mut rest = line;
        while let Some(k) = rest.find("crate::") {
            let before = rest[..k].chars().last();
            let after = &rest[k + "crate::".len()..];
            if !before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$') {
                let name: String = after
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    found.push((n + 1, name));
                } else if let Some(braced) = after.strip_prefix('{') {
                    // `use crate::{a, b::c}`: every first segment in the braces.
                    let inner: String = braced.chars().take_while(|&c| c != '}').collect();
                    for item in inner.split(',') {
                        let first = item.trim().split("::").next().unwrap_or("").trim();
                        if !first.is_empty() {
                            found.push((n + 1, first.to_string()));
                        }
                    }
                }
            }
            rest = after;
        }
    }
    found
}

/// Import-order violations of one file: `file:line: module imports later module`.
fn order_violations(rel: &str, text: &str) -> Vec<String> {
    let me = module_of(rel);
    let Some(my_rank) = ORDER.iter().position(|m| *m == me) else {
        return Vec::new(); // lib.rs: the crate root re-exports the API
    };
    let code = code_only(non_test(text));
    crate_imports(&code)
        .into_iter()
        .filter_map(|(line, target)| {
            let rank = ORDER.iter().position(|m| *m == target)?;
            (rank > my_rank).then(|| {
                format!(
                    "{rel}:{line}: `{me}` imports `{target}`, which comes after it in the pipeline"
                )
            })
        })
        .collect()
}

/// Whether `word` occurs in `line` as a whole word.
fn has_word(line: &str, word: &str) -> bool {
    line.match_indices(word).any(|(k, _)| {
        let before = line[..k].chars().last();
        let after = line[k + word.len()..].chars().next();
        let ident = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
        !ident(before) && !ident(after)
    })
}

/// `unsafe` violations of one file (in the engine or the syntax crate).
fn unsafe_violations(rel: &str, text: &str, allowed: bool) -> Vec<String> {
    let code = code_only(text);
    let raw: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for (n, line) in code.lines().enumerate() {
        if !has_word(line, "unsafe") || line.contains("forbid(unsafe_code)") {
            continue;
        }
        if !allowed {
            out.push(format!(
                "{rel}:{}: `unsafe` outside {UNSAFE_MODULES:?}",
                n + 1
            ));
            continue;
        }
        // A function pointer type (`unsafe extern "C" fn(...)`) needs no argument.
        if line.contains("unsafe extern \"\" fn(") {
            continue;
        }
        let argued = (n.saturating_sub(12)..=n).any(|k| {
            raw.get(k)
                .is_some_and(|l| l.contains("SAFETY:") || l.contains("# Safety"))
        });
        if !argued {
            out.push(format!(
                "{rel}:{}: `unsafe` without a `// SAFETY:` argument just above",
                n + 1
            ));
        }
    }
    out
}

/// The doc-line violations of one file.
fn doc_violations(rel: &str, text: &str) -> Vec<String> {
    let head: Vec<&str> = text
        .lines()
        .take_while(|l| l.starts_with("//!") && l.trim_end() != "//!")
        .collect();
    let owns = head.first().is_some_and(|l| l.starts_with("//! Owns "));
    let must_not = head.iter().any(|l| l.starts_with("//! Must not "));
    if owns && must_not {
        Vec::new()
    } else {
        vec![format!(
            "{rel}: must open with `//! Owns ...` and then `//! Must not ...` (before the first \
             blank `//!` line)"
        )]
    }
}

fn fail_on(what: &str, violations: Vec<String>) {
    assert!(
        violations.is_empty(),
        "{} {what}:\n{}",
        violations.len(),
        violations.join("\n")
    );
}

#[test]
fn imports_follow_the_pipeline() {
    let src = crate_dir("numjit/src");
    let files = sources(&src);
    // Every top-level module is in ORDER, so a new one must be placed deliberately.
    for (rel, _) in &files {
        let m = module_of(rel);
        assert!(
            m == "lib" || ORDER.contains(&m),
            "{rel}: module `{m}` is not placed in tidy.rs's ORDER"
        );
    }
    let v = files
        .iter()
        .flat_map(|(rel, text)| order_violations(rel, text))
        .collect();
    fail_on("imports against the pipeline order", v);
}

#[test]
fn unsafe_stays_in_its_modules() {
    let mut v = Vec::new();
    for (rel, text) in sources(&crate_dir("numjit/src")) {
        let allowed = UNSAFE_MODULES.contains(&rel.as_str());
        v.extend(unsafe_violations(&rel, &text, allowed));
    }
    for (rel, text) in sources(&crate_dir("numjit-syntax/src")) {
        v.extend(unsafe_violations(&rel, &text, false));
    }
    // The Python extension keeps the same rule: `unsafe` only in its `raw` module.
    for (rel, text) in sources(&crate_dir("numjit-py/src")) {
        let allowed = rel == "raw.rs";
        v.extend(unsafe_violations(
            &format!("numjit-py/src/{rel}"),
            &text,
            allowed,
        ));
    }
    fail_on("misplaced or unargued `unsafe`", v);
    let lib = std::fs::read_to_string(crate_dir("numjit-syntax/src/lib.rs")).expect("lib.rs");
    assert!(
        lib.contains("#![forbid(unsafe_code)]"),
        "numjit-syntax forbids unsafe"
    );
}

#[test]
fn every_module_says_what_it_owns_and_must_not_touch() {
    let mut v = Vec::new();
    for krate in [
        "numjit/src",
        "numjit-syntax/src",
        "numjit-py/src",
        "numjit-macros/src",
    ] {
        for (rel, text) in sources(&crate_dir(krate)) {
            v.extend(doc_violations(&format!("{krate}/{rel}"), &text));
        }
    }
    fail_on("modules without their doc lines", v);
}

#[test]
fn the_front_end_and_the_engine_keep_to_their_walls() {
    // numjit-syntax: logos is its only dependency, and it names no engine crate.
    let manifest =
        std::fs::read_to_string(crate_dir("numjit-syntax/Cargo.toml")).expect("Cargo.toml");
    let deps: Vec<&str> = manifest
        .split("[dependencies]")
        .nth(1)
        .unwrap_or("")
        .lines()
        .take_while(|l| !l.starts_with('['))
        .filter(|l| !l.trim().is_empty())
        .collect();
    assert_eq!(
        deps.len(),
        1,
        "numjit-syntax depends on logos only: {deps:?}"
    );
    assert!(deps[0].starts_with("logos"), "{deps:?}");
    let mut v = Vec::new();
    for (rel, text) in sources(&crate_dir("numjit-syntax/src")) {
        let code = code_only(&text);
        for word in [
            "cranelift",
            "rayon",
            "ndarray",
            "smallvec",
            "numjit::",
            "std::thread",
        ] {
            if code.contains(word) {
                v.push(format!("numjit-syntax/src/{rel}: mentions `{word}`"));
            }
        }
    }
    // The engine prints nothing and does file IO only in npy.rs.
    for (rel, text) in sources(&crate_dir("numjit/src")) {
        let code = code_only(non_test(&text));
        for word in [
            "println!",
            "eprintln!",
            "print!",
            "eprint!",
            "dbg!",
            "stdout",
            "stderr",
        ] {
            if code.contains(word) {
                v.push(format!(
                    "numjit/src/{rel}: `{word}` (nothing in the engine prints)"
                ));
            }
        }
        if rel != "npy.rs" && (code.contains("std::fs") || code.contains("File::")) {
            v.push(format!("numjit/src/{rel}: file IO outside npy.rs"));
        }
    }
    fail_on("wall violations", v);
}

#[test]
fn the_checks_catch_what_they_should() {
    // The checks themselves, on made-up files, so that a broken tidy cannot pass silently.
    let backward = "//! Owns x.\n//! Must not y.\nuse crate::api::eval;\nfn f() {}\n";
    assert_eq!(order_violations("types/array.rs", backward).len(), 1);
    assert!(order_violations("api/mod.rs", "use crate::types::{Arg, Out};\n").is_empty());
    let braces = "use crate::{exec::run, types::Arg};\n";
    assert_eq!(order_violations("ir/mod.rs", braces).len(), 1);
    let in_comment = "// see crate::api\nlet s = \"crate::api\";\n";
    assert!(order_violations("types/mod.rs", in_comment).is_empty());
    let in_test = "fn f() {}\n#[cfg(test)]\nmod tests { use crate::api::eval; }\n";
    assert!(order_violations("types/mod.rs", in_test).is_empty());
    assert_eq!(
        unsafe_violations("x.rs", "fn f() { unsafe { g() } }\n", false).len(),
        1
    );
    assert_eq!(
        unsafe_violations("x.rs", "fn f() { unsafe { g() } }\n", true).len(),
        1
    );
    let argued = "// SAFETY: g has no preconditions.\nfn f() { unsafe { g() } }\n";
    assert!(unsafe_violations("x.rs", argued, true).is_empty());
    assert!(unsafe_violations("x.rs", "let s = \"unsafe\";\n", false).is_empty());
    let fn_type = "type F =\n    unsafe extern \"C\" fn(*const u8);\n";
    assert!(unsafe_violations("x.rs", fn_type, true).is_empty());
    let decl = "unsafe extern \"C\" fn f(p: *const u8) {}\n";
    assert_eq!(unsafe_violations("x.rs", decl, true).len(), 1);
    assert_eq!(doc_violations("x.rs", "//! Provides x.\n").len(), 1);
    assert_eq!(
        doc_violations("x.rs", "//! Owns x.\n//!\n//! Must not y.\n").len(),
        1
    );
    assert!(doc_violations("x.rs", "//! Owns x,\n//! and z.\n//! Must not y.\n").is_empty());
}

/// Examples explain themselves: each starts with its `//! Usage:` line and answers `--help`.
#[test]
fn every_example_answers_help() {
    let mut v = Vec::new();
    for (rel, text) in sources(&crate_dir("numjit/examples")) {
        if !text.starts_with("//! Usage: ") {
            v.push(format!("{rel}: must start with `//! Usage: ...`"));
        }
        if !text.contains("\"--help\"") {
            v.push(format!("{rel}: must answer `--help`"));
        }
    }
    fail_on("examples that do not explain themselves", v);
}
