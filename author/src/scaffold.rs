//! `dive tool new`: a package outside any repository with one example tool (typed
//! arguments and result, a description, an `x-dive-type` on a field), a manifest with
//! an empty policy and a comment per field, a README and a test.

use crate::{templates, AuthorError, Lang};
use std::path::{Path, PathBuf};

/// What to scaffold.
#[derive(Debug, Clone)]
pub struct NewPackage {
    /// The package's name, which is also its example tool's name (snake_case).
    pub name: String,
    pub lang: Lang,
    /// The package directory to create (it must not exist, or be empty).
    pub dir: PathBuf,
    /// Rust only: the dive-tool-sdk directory the package depends on by path.
    pub sdk_dir: Option<PathBuf>,
}

/// Words no tool name may be: keywords of the three languages a tool is written in
/// (the example tool is a function or type of that name).
const RESERVED: &[&str] = &[
    "as", "async", "await", "break", "class", "const", "continue", "crate", "def", "default", "del", "delete",
    "do", "dyn", "elif", "else", "enum", "except", "export", "extends", "false", "finally", "fn", "for", "from",
    "function", "global", "if", "impl", "import", "in", "lambda", "let", "loop", "match", "mod", "move", "mut",
    "new", "none", "nonlocal", "not", "null", "or", "pass", "pub", "raise", "ref", "return", "self", "static",
    "struct", "super", "switch", "this", "throw", "trait", "true", "try", "type", "typeof", "unsafe", "use",
    "var", "void", "where", "while", "with", "yield",
];

/// Longest tool name accepted (OpenAI's function-name limit).
const MAX_NAME: usize = 64;

/// Check that `name` can name a package and its tool in every language: a portable
/// tool name ([`check_tool_name`]) that is not a keyword of Rust, Python or JavaScript.
pub fn validate_name(name: &str) -> Result<(), AuthorError> {
    check_tool_name(name)?;
    if RESERVED.contains(&name) {
        return Err(AuthorError::BadName { name: name.to_string(), why: "it is a keyword of Rust, Python or JavaScript".into() });
    }
    Ok(())
}

/// Check that `name` is a portable tool name: snake_case ASCII, starting with a letter,
/// at most 64 characters (what every tool format dive exports accepts).
pub fn check_tool_name(name: &str) -> Result<(), AuthorError> {
    let bad = |why: &str| AuthorError::BadName { name: name.to_string(), why: why.to_string() };
    if name.is_empty() || name.len() > MAX_NAME {
        return Err(bad("a name has 1 to 64 characters"));
    }
    if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        return Err(bad("it must start with a lowercase letter (a-z)"));
    }
    if !name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') {
        return Err(bad("use snake_case: lowercase letters, digits and '_' only"));
    }
    if name.ends_with('_') || name.contains("__") {
        return Err(bad("no trailing or doubled '_'"));
    }
    Ok(())
}

/// `snake_case` → `CamelCase`, for the Rust tool type.
fn camel(name: &str) -> String {
    name.split('_')
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map(|c| c.to_ascii_uppercase().to_string() + chars.as_str()).unwrap_or_default()
        })
        .collect()
}

fn fill(text: &str, name: &str, sdk: &str) -> String {
    text.replace("{{name}}", name).replace("{{Name}}", &camel(name)).replace("{{sdk}}", sdk)
}

/// Where dive-tool-sdk is, in order: `named` (`DIVE_SDK_DIR`); an install
/// (`PREFIX/bin/dive` with `PREFIX/share/dive/sdk/rust`); the checkout this dive was
/// built from.
pub fn find_sdk(named: Option<&Path>, exe_dir: Option<&Path>) -> Result<PathBuf, AuthorError> {
    let mut candidates: Vec<PathBuf> = Vec::new();
    if let Some(dir) = named {
        candidates.push(dir.to_path_buf());
    }
    if let Some(exe_dir) = exe_dir {
        candidates.push(exe_dir.join("../share/dive/sdk/rust"));
    }
    candidates.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("../tool-modules/sdk"));
    let found = candidates.iter().find(|d| d.join("Cargo.toml").is_file() && d.join("wit/dive-tool.wit").is_file());
    match found {
        Some(dir) => dir.canonicalize().map_err(AuthorError::io(dir)),
        None => Err(AuthorError::SdkNotFound {
            looked: candidates.iter().map(|d| d.display().to_string()).collect::<Vec<_>>().join(", "),
        }),
    }
}

/// Write the package; returns the files written (package-relative). Written into a
/// sibling temporary directory first, then renamed into place: a failure leaves nothing.
pub fn create(p: &NewPackage) -> Result<Vec<String>, AuthorError> {
    validate_name(&p.name)?;
    let sdk = match (p.lang, &p.sdk_dir) {
        (Lang::Rust, Some(dir)) => toml_path(dir),
        (Lang::Rust, None) => return Err(AuthorError::SdkNotFound { looked: "nowhere (no SDK dir given)".into() }),
        _ => String::new(),
    };
    ensure_empty_or_absent(&p.dir)?;
    let parent = match p.dir.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent).map_err(AuthorError::io(&parent))?;
    let staging = tempfile::Builder::new().prefix(".dive-tool-new").tempdir_in(&parent).map_err(AuthorError::io(&parent))?;
    let mut written = Vec::new();
    for t in templates::files(p.lang) {
        let path = staging.path().join(t.path);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(AuthorError::io(dir))?;
        }
        std::fs::write(&path, fill(t.text, &p.name, &sdk)).map_err(AuthorError::io(&path))?;
        written.push(t.path.to_string());
    }
    if p.dir.exists() {
        std::fs::remove_dir(&p.dir).map_err(AuthorError::io(&p.dir))?;
    }
    let staged = staging.keep();
    std::fs::rename(&staged, &p.dir).map_err(|e| {
        let _ = std::fs::remove_dir_all(&staged);
        AuthorError::Io { path: p.dir.clone(), source: e }
    })?;
    Ok(written)
}

fn ensure_empty_or_absent(dir: &Path) -> Result<(), AuthorError> {
    match std::fs::read_dir(dir) {
        Ok(mut entries) => match entries.next() {
            Some(_) => Err(AuthorError::DirNotEmpty(dir.to_path_buf())),
            None => Ok(()),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(AuthorError::Io { path: dir.to_path_buf(), source: e }),
    }
}

/// A path as a TOML basic string's contents.
fn toml_path(dir: &Path) -> String {
    dir.display().to_string().replace('\\', "\\\\").replace('"', "\\\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_snake_case_identifiers_in_every_language() {
        for ok in ["gc_content", "a", "tool2", "kmer_count_v2"] {
            validate_name(ok).unwrap();
        }
        for bad in ["", "GC", "2fast", "gc-content", "gc__x", "x_", "type", "class", "fn", &"a".repeat(65)] {
            assert!(validate_name(bad).is_err(), "{bad}");
        }
        // A keyword is a fine tool name in a package that is not named after it.
        check_tool_name("type").unwrap();
    }

    #[test]
    fn a_package_is_written_whole_and_never_over_files() {
        let home = tempfile::tempdir().unwrap();
        let dir = home.path().join("gc_tool");
        let p = NewPackage { name: "gc_tool".into(), lang: Lang::Python, dir: dir.clone(), sdk_dir: None };
        let files = create(&p).unwrap();
        assert!(files.contains(&"wit/dive-tool.wit".to_string()));
        let app = std::fs::read_to_string(dir.join("app.py")).unwrap();
        assert!(app.contains("def gc_tool(") && !app.contains("{{"), "{app}");
        assert!(matches!(create(&p), Err(AuthorError::DirNotEmpty(_))));
        // Nothing else was left beside it.
        let names: Vec<_> = std::fs::read_dir(home.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, vec![std::ffi::OsString::from("gc_tool")]);
    }

    #[test]
    fn rust_packages_name_the_sdk_and_a_camel_case_type() {
        let home = tempfile::tempdir().unwrap();
        let dir = home.path().join("pkg");
        let sdk = home.path().join("sdk \"x\"");
        let p = NewPackage { name: "gc_tool".into(), lang: Lang::Rust, dir: dir.clone(), sdk_dir: Some(sdk) };
        create(&p).unwrap();
        let cargo = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
        assert!(cargo.contains(r#"sdk \"x\""#), "{cargo}");
        let lib = std::fs::read_to_string(dir.join("src/lib.rs")).unwrap();
        assert!(lib.contains("pub struct GcTool;") && lib.contains("export_tools!(GcTool);"));
        // The manifest keeps its documented secret placeholder, untouched.
        let manifest = std::fs::read_to_string(dir.join("dive-tool.toml")).unwrap();
        assert!(manifest.contains("{{EXAMPLE_KEY}}") && manifest.contains("component = \"gc_tool.wasm\""));
    }
}
