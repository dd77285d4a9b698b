//! dive as a newcomer gets it: a release archive (`make dist`, `scripts/dist.sh`) that
//! runs on a machine that never saw the source, completions and a man page, and a
//! repository whose docs stand alone.

use dive_integration_tests::{builtin_pool_dir, dive_bin, repo_root};
use std::path::Path;
use std::process::Command;

/// Run a program with a clean environment (no DIVE_* variables) in `cwd`.
fn run(program: &Path, args: &[&str], cwd: &Path) -> (i32, String, String) {
    let o = Command::new(program)
        .args(args)
        .current_dir(cwd)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", cwd)
        .output()
        .unwrap_or_else(|e| panic!("{}: {e}", program.display()));
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn the_release_archive_runs_without_the_source_tree() {
    let out = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = run(
        &repo_root().join("scripts/dist.sh"),
        &[dive_bin().to_str().unwrap(), builtin_pool_dir().to_str().unwrap(), out.path().to_str().unwrap()],
        out.path(),
    );
    assert_eq!(code, 0, "{stdout}{stderr}");
    let archive = stdout.trim().to_string();
    assert!(archive.ends_with("-linux.tar.gz"), "{archive}");

    // Unpack elsewhere and run from there, with no variable pointing anywhere.
    let elsewhere = tempfile::tempdir().unwrap();
    let (code, _, stderr) = run(Path::new("tar"), &["-xzf", &archive, "-C", elsewhere.path().to_str().unwrap()], elsewhere.path());
    assert_eq!(code, 0, "{stderr}");
    let top = std::fs::read_dir(elsewhere.path()).unwrap().next().unwrap().unwrap().path();
    let dive = top.join("bin/dive");
    let home = tempfile::tempdir().unwrap();

    let (code, list, stderr) = run(&dive, &["tools", "list"], home.path());
    assert_eq!(code, 0, "{stderr}");
    assert!(list.lines().count() >= 373, "{} tools: {stderr}", list.lines().count());
    assert!(!stderr.contains("warning"), "{stderr}");

    let (code, out, stderr) = run(&dive, &["call", "bio_seq_translate", r#"{"sequence": "ATGGCCATTGTAATGGGCCGCTGA"}"#], home.path());
    assert_eq!(code, 0, "{stderr}");
    assert!(out.contains("MAIVMGR"), "{out}");

    // The pool it uses is the unpacked one, not the build tree.
    let (_, show, _) = run(&dive, &["--json", "tools", "show", "bio_seq_translate"], home.path());
    let show: serde_json::Value = serde_json::from_str(&show).unwrap();
    let component = show["component"]["path"].as_str().unwrap();
    assert!(Path::new(component).starts_with(top.canonicalize().unwrap()), "{component}");

    let (_, version, _) = run(&dive, &["--version"], home.path());
    assert!(version.contains("wasmtime 48.") && version.contains("WIT dive:tool@0.1.0"), "{version}");
    // A Rust tool scaffolded by the unpacked dive depends on the SDK it ships.
    let (code, _, stderr) = run(&dive, &["tool", "new", "my_tool", "--lang", "rust"], home.path());
    assert_eq!(code, 0, "{stderr}");
    let cargo = std::fs::read_to_string(home.path().join("my_tool/Cargo.toml")).unwrap();
    let sdk = top.canonicalize().unwrap().join("share/dive/sdk/rust");
    assert!(cargo.contains(&format!("path = \"{}\"", sdk.display())), "{cargo}");
    assert!(sdk.join("wit/dive-tool.wit").is_file() && sdk.join("src/lib.rs").is_file());
    let man = std::fs::read_to_string(top.join("share/man/man1/dive.1")).unwrap();
    assert!(man.contains(".TH") && man.contains("synth"), "a roff man page");
    let bash = std::fs::read_to_string(top.join("share/bash-completion/completions/dive")).unwrap();
    assert!(bash.contains("complete") && bash.contains("reverify"), "a bash completion");
    assert!(top.join("share/doc/dive/LICENSE").is_file() && top.join("share/doc/dive/docs/ARCHITECTURE.md").is_file());
}

#[test]
fn near_misses_are_suggested_and_piped_logs_are_plain() {
    let home = tempfile::tempdir().unwrap();
    let pool = builtin_pool_dir();
    let o = Command::new(dive_bin())
        .args(["-v", "tools", "show", "bio_seq_translat"])
        .current_dir(home.path())
        .env("DIVE_BUILTIN_TOOLS", &pool)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("did you mean 'bio_seq_translate'"), "{stderr}");
    assert!(stderr.contains("INFO"), "-v logs: {stderr}");
    assert!(!stderr.contains('\x1b'), "no ANSI colour codes when stderr is not a terminal: {stderr:?}");
    // A trace id prefix that is too short says the minimum.
    let o = Command::new(dive_bin()).args(["--no-builtin", "replay", "abc"]).current_dir(home.path()).output().unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("at least 6 hex digits"), "{stderr}");
}

#[test]
fn the_repository_docs_stand_alone() {
    let root = repo_root();
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    // Every relative Markdown link resolves inside the repository.
    for (i, _) in readme.match_indices("](") {
        let target: String = readme[i + 2..].chars().take_while(|&c| c != ')').collect();
        if target.starts_with("http") || target.starts_with('#') {
            continue;
        }
        let path = target.split('#').next().unwrap();
        assert!(!path.starts_with(".."), "README links outside the repository: {target}");
        assert!(root.join(path).exists(), "README links to a missing file: {target}");
    }
    assert!(root.join("LICENSE").is_file());
    // docs/ARCHITECTURE.md is kept in step with the shared copy, where that exists.
    let shared = root.join("../shared/ARCHITECTURE.md");
    if shared.is_file() {
        assert_eq!(
            std::fs::read_to_string(&shared).unwrap(),
            std::fs::read_to_string(root.join("docs/ARCHITECTURE.md")).unwrap(),
            "docs/ARCHITECTURE.md differs from ../shared/ARCHITECTURE.md: copy it over"
        );
    }
}
