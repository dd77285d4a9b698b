//! Writing a dive tool (ARCHITECTURE.md §13): everything between "I have an idea for a
//! tool" and "it runs in the sandbox".
//!
//! - [`scaffold`]: `dive tool new` — a package with one example tool, a manifest with an
//!   empty policy, a README and a test, in Rust, Python or JavaScript
//! - [`build`]: `dive tool build` — the component, with the language's toolchain
//! - [`check`]: `dive tool check` — the manifest, the world and every schema validated,
//!   each tool called once with its example arguments in the sandbox, the policy linted
//! - [`example`]: the arguments a check calls a tool with, from its schema

pub mod build;
pub mod check;
pub mod example;
pub mod scaffold;
mod templates;

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use thiserror::Error;

/// The languages a package can be scaffolded and built in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// dive-tool-sdk, built with cargo for wasm32-wasip2.
    Rust,
    /// The `dive_tool` helper module, built with componentize-py.
    Python,
    /// The `dive_tool.js` helper module, built with componentize-js.
    Js,
}

impl Lang {
    /// Every language, in the order the docs list them.
    pub const ALL: [Lang; 3] = [Lang::Rust, Lang::Python, Lang::Js];

    /// The name used on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Lang::Rust => "rust",
            Lang::Python => "python",
            Lang::Js => "js",
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Lang {
    type Err = String;
    fn from_str(s: &str) -> Result<Lang, String> {
        match s {
            "rust" => Ok(Lang::Rust),
            "python" | "py" => Ok(Lang::Python),
            "js" | "javascript" => Ok(Lang::Js),
            other => Err(format!("unknown language '{other}': rust, python or js")),
        }
    }
}

/// Why an authoring step failed. Each message says what was wrong and what to do.
#[derive(Debug, Error)]
pub enum AuthorError {
    /// The tool name cannot be used.
    #[error("'{name}' cannot name a tool: {why}")]
    BadName { name: String, why: String },
    /// `dive tool new` would overwrite something.
    #[error("{} already exists and is not empty: choose another --dir or remove it", .0.display())]
    DirNotEmpty(PathBuf),
    /// The Rust SDK was not found where dive looks for it.
    #[error("cannot find dive-tool-sdk (looked in {looked}): set DIVE_SDK_DIR to the SDK's directory (share/dive/sdk/rust of an install, tool-modules/sdk of a checkout)")]
    SdkNotFound { looked: String },
    /// The directory is not a package this crate knows how to build.
    #[error("{}: {why}", .dir.display())]
    NotAPackage { dir: PathBuf, why: String },
    /// A program the build needs is not installed.
    #[error("building a {lang} tool needs {what}, which was not found: {install}")]
    MissingToolchain { lang: Lang, what: String, install: String },
    /// The toolchain ran and failed; its own output (on stderr) says why.
    #[error("{command} failed ({status}); its messages above say why")]
    BuildFailed { command: String, status: String },
    /// The build said it succeeded but left no component.
    #[error("{command} finished but wrote no component ({why})")]
    NoComponent { command: String, why: String },
    /// Reading or writing a file failed.
    #[error("{}: {source}", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The manifest is not valid.
    #[error(transparent)]
    Manifest(#[from] dive_runtime::manifest::ManifestError),
}

impl AuthorError {
    fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> AuthorError {
        let path = path.into();
        move |source| AuthorError::Io { path, source }
    }
}
