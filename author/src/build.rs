//! `dive tool build`: the package's component, built with its language's toolchain and
//! put where its manifest says (`component = ...`), replacing the old one only when the
//! build succeeded.
//!
//! - Rust (`Cargo.toml`): `cargo build --release --target wasm32-wasip2`
//! - Python (`app.py`): `componentize-py -d wit -w dive:tool/tool-provider componentize app`
//! - JavaScript (`app.js`): `componentize-js app.js --wit wit --world-name tool-provider`
//!
//! The toolchain's own messages go to this process's stderr.
//!
//! A build runs the package's own code on the host, outside any sandbox: cargo runs
//! build scripts and procedural macros, componentize-py imports `app.py` to snapshot it,
//! componentize-js evaluates `app.js`. Build only packages you trust; a stranger's
//! package is run from its built component, which the sandbox holds.

use crate::{AuthorError, Lang};
use dive_runtime::manifest::MANIFEST_FILE;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The WASI target Rust tools are built for.
pub const RUST_TARGET: &str = "wasm32-wasip2";
/// The componentize-py version the Makefile installs (and the scaffold's README names).
pub const COMPONENTIZE_PY_VERSION: &str = "0.25.1";
/// The world every tool component implements.
const WORLD: &str = "dive:tool/tool-provider";

/// What a build made.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Built {
    pub lang: Lang,
    /// The component, where the manifest names it.
    pub component: PathBuf,
    pub bytes: u64,
}

/// Which language a package is written in, from the files `dive tool new` makes.
pub fn detect(dir: &Path) -> Result<Lang, AuthorError> {
    if !dir.join(MANIFEST_FILE).is_file() {
        return Err(AuthorError::NotAPackage { dir: dir.to_path_buf(), why: format!("no {MANIFEST_FILE} here") });
    }
    if dir.join("Cargo.toml").is_file() {
        Ok(Lang::Rust)
    } else if dir.join("app.py").is_file() {
        Ok(Lang::Python)
    } else if dir.join("app.js").is_file() {
        Ok(Lang::Js)
    } else {
        Err(AuthorError::NotAPackage {
            dir: dir.to_path_buf(),
            why: "neither Cargo.toml, app.py nor app.js is here, so dive cannot tell how to build it; \
                  build the component yourself and put it where dive-tool.toml's `component` says"
                .into(),
        })
    }
}

/// The programs a build runs, where the user named them (`DIVE_COMPONENTIZE_PY`,
/// `DIVE_COMPONENTIZE_JS`); else a package-local install, else the name on PATH.
#[derive(Debug, Clone, Default)]
pub struct Toolchains {
    /// componentize-py.
    pub componentize_py: Option<OsString>,
    /// componentize-js.
    pub componentize_js: Option<OsString>,
}

/// Build the component of the package in `dir`.
pub fn build(dir: &Path, toolchains: &Toolchains) -> Result<Built, AuthorError> {
    let lang = detect(dir)?;
    // The toolchains run in the package dir; every path given to them is absolute.
    let dir = &dir.canonicalize().map_err(AuthorError::io(dir))?;
    let out = component_path(dir)?;
    let fresh = match lang {
        Lang::Rust => build_rust(dir)?,
        Lang::Python => build_python(dir, &out, toolchains)?,
        Lang::Js => build_js(dir, &out, toolchains)?,
    };
    // Into place in one rename: a failed build leaves the old component as it was.
    let staged = staged_path(&out);
    if fresh != staged {
        std::fs::copy(&fresh, &staged).map_err(AuthorError::io(&staged))?;
    }
    std::fs::rename(&staged, &out).map_err(AuthorError::io(&out))?;
    let bytes = std::fs::metadata(&out).map_err(AuthorError::io(&out))?.len();
    Ok(Built { lang, component: out, bytes })
}

/// Where the manifest puts the component: the runtime's own manifest reader (bounded,
/// validated, the path kept inside the package), which does not need the component to
/// exist yet.
fn component_path(dir: &Path) -> Result<PathBuf, AuthorError> {
    Ok(dive_runtime::Manifest::load(dir)?.component)
}

/// Where a build writes the component before it is renamed into place.
fn staged_path(out: &Path) -> PathBuf {
    let mut name = out.file_name().unwrap_or_default().to_os_string();
    name.push(".tmp");
    out.with_file_name(name)
}

fn build_rust(dir: &Path) -> Result<PathBuf, AuthorError> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    require_rust_target()?;
    let mut cmd = Command::new(&cargo);
    cmd.current_dir(dir)
        .args(["build", "--release", "--target", RUST_TARGET, "--message-format=json-render-diagnostics"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    let described = format!("cargo build --release --target {RUST_TARGET}");
    let output = cmd.output().map_err(|e| missing_or_io(e, Lang::Rust, "cargo", "install Rust with rustup (https://rustup.rs)"))?;
    if !output.status.success() {
        return Err(AuthorError::BuildFailed { command: described, status: output.status.to_string() });
    }
    let artifact = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|m| m["reason"] == "compiler-artifact")
        .flat_map(|m| m["filenames"].as_array().cloned().unwrap_or_default())
        .filter_map(|f| f.as_str().map(PathBuf::from))
        .find(|f| f.extension().is_some_and(|e| e == "wasm"));
    artifact.ok_or(AuthorError::NoComponent {
        command: described,
        why: "no .wasm artifact: is the crate a cdylib (crate-type = [\"cdylib\"])?".into(),
    })
}

/// The wasm32-wasip2 standard library must be installed; with rustup, say how.
fn require_rust_target() -> Result<(), AuthorError> {
    let Ok(out) = Command::new("rustup").args(["target", "list", "--installed"]).output() else {
        return Ok(()); // no rustup: cargo's own error will tell
    };
    let installed = String::from_utf8_lossy(&out.stdout);
    if out.status.success() && !installed.lines().any(|l| l.trim() == RUST_TARGET) {
        return Err(AuthorError::MissingToolchain {
            lang: Lang::Rust,
            what: format!("the {RUST_TARGET} target"),
            install: format!("rustup target add {RUST_TARGET}"),
        });
    }
    Ok(())
}

fn build_python(dir: &Path, out: &Path, toolchains: &Toolchains) -> Result<PathBuf, AuthorError> {
    let program = tool_program(toolchains.componentize_py.as_ref(), "componentize-py", None);
    // componentize-py writes __pycache__ next to the sources: build from a copy.
    let staging = tempfile::Builder::new().prefix(".dive-build").tempdir_in(dir).map_err(AuthorError::io(dir))?;
    for entry in std::fs::read_dir(dir).map_err(AuthorError::io(dir))? {
        let entry = entry.map_err(AuthorError::io(dir))?;
        let path = entry.path();
        // Regular files only: a symlink could bring a host file into the component.
        let regular = entry.file_type().is_ok_and(|t| t.is_file());
        if path.extension().is_some_and(|e| e == "py") && regular {
            let to = staging.path().join(path.file_name().unwrap_or_default());
            std::fs::copy(&path, &to).map_err(AuthorError::io(&path))?;
        }
    }
    let tmp = staged_path(out);
    let mut cmd = Command::new(&program);
    cmd.current_dir(dir)
        .arg("-d")
        .arg(dir.join("wit"))
        .args(["-w", WORLD, "componentize", "-p"])
        .arg(staging.path())
        .args(["app", "-o"])
        .arg(&tmp);
    let install = format!("pip install componentize-py=={COMPONENTIZE_PY_VERSION} (or set DIVE_COMPONENTIZE_PY to its path)");
    run(cmd, Lang::Python, "componentize-py", &install)?;
    Ok(tmp)
}

fn build_js(dir: &Path, out: &Path, toolchains: &Toolchains) -> Result<PathBuf, AuthorError> {
    let local = dir.join("node_modules/.bin/componentize-js");
    let program = tool_program(toolchains.componentize_js.as_ref(), "componentize-js", Some(&local));
    let tmp = staged_path(out);
    let mut cmd = Command::new(&program);
    cmd.current_dir(dir)
        .arg(dir.join("app.js"))
        .arg("--wit")
        .arg(dir.join("wit"))
        .args(["--world-name", "tool-provider", "--out"])
        .arg(&tmp);
    let install = format!(
        "run `npm install` in {} (package.json lists @bytecodealliance/componentize-js), or set DIVE_COMPONENTIZE_JS to its path; Node.js must be on PATH",
        dir.display()
    );
    run(cmd, Lang::Js, "componentize-js", &install)?;
    Ok(tmp)
}

/// A toolchain program: the one the user named, else a package-local install, else the
/// name (found on PATH).
fn tool_program(named: Option<&OsString>, name: &str, local: Option<&Path>) -> OsString {
    if let Some(v) = named.filter(|v| !v.is_empty()) {
        return v.clone();
    }
    match local {
        Some(path) if path.is_file() => path.as_os_str().to_owned(),
        _ => name.into(),
    }
}

fn run(mut cmd: Command, lang: Lang, what: &str, install: &str) -> Result<(), AuthorError> {
    cmd.stdout(Stdio::inherit()).stderr(Stdio::inherit());
    let described = std::iter::once(cmd.get_program()).chain(cmd.get_args()).map(|a| a.to_string_lossy()).collect::<Vec<_>>().join(" ");
    let status = cmd.status().map_err(|e| missing_or_io(e, lang, what, install))?;
    if !status.success() {
        return Err(AuthorError::BuildFailed { command: described, status: status.to_string() });
    }
    Ok(())
}

fn missing_or_io(e: std::io::Error, lang: Lang, what: &str, install: &str) -> AuthorError {
    if e.kind() == std::io::ErrorKind::NotFound {
        AuthorError::MissingToolchain { lang, what: what.to_string(), install: install.to_string() }
    } else {
        AuthorError::Io { path: PathBuf::from(what), source: e }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_package_is_told_by_its_files() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(detect(dir.path()), Err(AuthorError::NotAPackage { .. })));
        std::fs::write(dir.path().join(MANIFEST_FILE), "component = \"x.wasm\"\ndomain = \"general\"\n").unwrap();
        assert!(matches!(detect(dir.path()), Err(AuthorError::NotAPackage { .. })));
        std::fs::write(dir.path().join("app.js"), "").unwrap();
        assert_eq!(detect(dir.path()).unwrap(), Lang::Js);
        std::fs::write(dir.path().join("app.py"), "").unwrap();
        assert_eq!(detect(dir.path()).unwrap(), Lang::Python);
        assert_eq!(component_path(dir.path()).unwrap(), dir.path().join("x.wasm"));
    }

    #[test]
    fn the_component_stays_inside_the_package() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(MANIFEST_FILE), "component = \"../x.wasm\"\ndomain = \"general\"\n").unwrap();
        let e = component_path(dir.path()).unwrap_err();
        assert!(matches!(e, AuthorError::Manifest(_)) && e.to_string().contains("inside the package"), "{e}");
    }

    #[test]
    fn a_missing_program_says_how_to_install_it() {
        let cmd = Command::new("/nonexistent/componentize-py");
        let e = run(cmd, Lang::Python, "componentize-py", "pip install componentize-py").unwrap_err();
        assert!(e.to_string().contains("needs componentize-py") && e.to_string().contains("pip install"), "{e}");
    }
}
