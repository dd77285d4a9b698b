//! The layout holds (#15): policy and evidence build without the engine, and every
//! generated file is what its generator writes today.

use dive_integration_tests::{builtin_pool_dir, dive_bin, python, repo_root};
use std::path::Path;

/// The crates `cargo tree` lists under `package` (normal dependencies, no dev ones).
fn dependencies(package: &str) -> Vec<String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = std::process::Command::new(cargo)
        .args(["tree", "--offline", "-e", "normal", "--prefix", "none", "-p", package])
        .current_dir(repo_root())
        .output()
        .expect("cargo runs");
    assert!(out.status.success(), "cargo tree -p {package}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).lines().filter_map(|l| l.split_whitespace().next()).map(str::to_string).collect()
}

#[test]
fn policy_and_evidence_build_without_the_engine() {
    for package in ["dive-policy", "dive-evidence"] {
        let deps = dependencies(package);
        assert!(deps.len() > 5, "{package}: {deps:?}");
        let engine: Vec<&String> = deps.iter().filter(|d| d.starts_with("wasmtime") || d.starts_with("cranelift")).collect();
        assert!(engine.is_empty(), "{package} pulls in the engine: {engine:?}");
    }
    assert!(dependencies("dive-runtime").iter().any(|d| d == "wasmtime"), "the runtime is where the engine is");
}

/// Every file `scripts/gen.sh` writes (those whose inputs are here: Biopython always,
/// DIVE's reference catalog when ../shared is present) equals the committed one.
#[test]
fn generated_files_are_what_their_generators_write() {
    let out = tempfile::tempdir().unwrap();
    let run = std::process::Command::new(repo_root().join("scripts/gen.sh"))
        .arg(out.path())
        .env("PYTHON", python())
        .env("DIVE", dive_bin())
        .env("POOL_DIR", builtin_pool_dir())
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{said}");
    let mut generated = Vec::new();
    collect(out.path(), out.path(), &mut generated);
    assert!(generated.len() >= 6, "Biopython's five tables and the parity table at least: {generated:?}\n{said}");
    for file in &generated {
        let fresh = std::fs::read(out.path().join(file)).unwrap();
        let committed = std::fs::read(repo_root().join(file)).unwrap_or_default();
        assert!(fresh == committed, "{file} is not what its generator writes: run `make gen`");
    }
}

/// The files under `dir`, as paths relative to `root`.
fn collect(root: &Path, dir: &Path, out: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect(root, &path, out);
        } else {
            out.push(path.strip_prefix(root).unwrap().to_string_lossy().into_owned());
        }
    }
}

/// Every `DIVE_*` variable is read in one place (`runtime/src/config.rs`): no other
/// source of the host crates reads the environment for one.
#[test]
fn dive_variables_are_read_only_by_the_config() {
    let mut files = Vec::new();
    for krate in ["policy", "evidence", "runtime", "deriver", "serve", "export", "author", "cli"] {
        collect(&repo_root(), &repo_root().join(krate).join("src"), &mut files);
    }
    assert!(files.len() > 40, "{files:?}");
    for file in files.iter().filter(|f| f.ends_with(".rs") && !f.ends_with("runtime/src/config.rs")) {
        let text = std::fs::read_to_string(repo_root().join(file)).unwrap();
        for (at, _) in text.match_indices("env::var") {
            let call = &text[at..(at + 80).min(text.len())];
            assert!(!call.contains("\"DIVE_"), "{file} reads a DIVE_ variable itself ({call}): read it in DiveEnv");
        }
    }
}
