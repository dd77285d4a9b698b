//! Facts for `dive --version`: the commit built, the wasmtime version linked and the WIT
//! package tools are built against. Each falls back to "unknown" (a source archive has
//! no .git; nothing here may fail the build).

use std::path::Path;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    println!("cargo:rustc-env=DIVE_COMMIT={}", commit(&root).unwrap_or_else(|| "unknown".into()));
    println!("cargo:rustc-env=DIVE_WASMTIME={}", locked_version(&root, "wasmtime").unwrap_or_else(|| "unknown".into()));
    println!("cargo:rustc-env=DIVE_WIT={}", wit_package(&root).unwrap_or_else(|| "unknown".into()));
    for f in [".git/HEAD", "Cargo.lock", "wit/dive-tool.wit"] {
        println!("cargo:rerun-if-changed={}", root.join(f).display());
    }
    if let Some(r) = head_ref(&root) {
        println!("cargo:rerun-if-changed={}", root.join(".git").join(r).display());
    }
}

/// `git rev-parse --short=12 HEAD`, when git and a repository are there.
fn commit(root: &Path) -> Option<String> {
    let out = std::process::Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(root)
        .output()
        .ok()?;
    let s = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (out.status.success() && !s.is_empty()).then_some(s)
}

/// The branch file .git/HEAD points at (so a new commit rebuilds the version text).
fn head_ref(root: &Path) -> Option<String> {
    let head = std::fs::read_to_string(root.join(".git/HEAD")).ok()?;
    head.strip_prefix("ref: ").map(|r| r.trim().to_string())
}

/// A package's version in Cargo.lock.
fn locked_version(root: &Path, name: &str) -> Option<String> {
    let lock = std::fs::read_to_string(root.join("Cargo.lock")).ok()?;
    let needle = format!("name = \"{name}\"\nversion = \"");
    let at = lock.find(&needle)? + needle.len();
    Some(lock[at..].split('"').next()?.to_string())
}

/// The `package` line of the dive WIT.
fn wit_package(root: &Path) -> Option<String> {
    let wit = std::fs::read_to_string(root.join("wit/dive-tool.wit")).ok()?;
    let line = wit.lines().find(|l| l.trim_start().starts_with("package "))?;
    Some(line.trim().trim_start_matches("package ").trim_end_matches(';').to_string())
}
