//! The files `dive tool new` writes, compiled into the binary (so an installed dive
//! scaffolds without its source tree). `{{name}}`, `{{Name}}` and `{{sdk}}` are filled in.

use crate::Lang;

/// One file of a scaffold: its path in the package and its text.
pub(crate) struct Template {
    pub path: &'static str,
    pub text: &'static str,
}

macro_rules! template {
    ($path:literal, $file:literal) => {
        Template { path: $path, text: include_str!(concat!("../templates/", $file)) }
    };
}

const RUST: &[Template] = &[
    template!("Cargo.toml", "rust/Cargo.toml"),
    template!("src/lib.rs", "rust/src/lib.rs"),
    template!("dive-tool.toml", "rust/dive-tool.toml"),
    template!("README.md", "rust/README.md"),
    template!(".gitignore", "rust/gitignore"),
];

const PYTHON: &[Template] = &[
    template!("app.py", "python/app.py"),
    template!("dive_tool.py", "python/dive_tool.py"),
    template!("test_app.py", "python/test_app.py"),
    template!("dive-tool.toml", "python/dive-tool.toml"),
    template!("README.md", "python/README.md"),
    template!(".gitignore", "python/gitignore"),
];

const JS: &[Template] = &[
    template!("app.js", "js/app.js"),
    template!("dive_tool.js", "js/dive_tool.js"),
    template!("test.mjs", "js/test.mjs"),
    template!("package.json", "js/package.json"),
    template!("dive-tool.toml", "js/dive-tool.toml"),
    template!("README.md", "js/README.md"),
    template!(".gitignore", "js/gitignore"),
];

/// The `dive:tool` WIT package and the WASI packages it includes (the repository's
/// `wit/`), for the languages whose toolchains read WIT from the package.
const WIT: &[Template] = &[
    Template { path: "wit/dive-tool.wit", text: include_str!("../../wit/dive-tool.wit") },
    Template { path: "wit/deps/cli/cli.wit", text: include_str!("../../wit/deps/cli/cli.wit") },
    Template { path: "wit/deps/clocks/clocks.wit", text: include_str!("../../wit/deps/clocks/clocks.wit") },
    Template { path: "wit/deps/filesystem/filesystem.wit", text: include_str!("../../wit/deps/filesystem/filesystem.wit") },
    Template { path: "wit/deps/http/http.wit", text: include_str!("../../wit/deps/http/http.wit") },
    Template { path: "wit/deps/io/io.wit", text: include_str!("../../wit/deps/io/io.wit") },
    Template { path: "wit/deps/random/random.wit", text: include_str!("../../wit/deps/random/random.wit") },
    Template { path: "wit/deps/sockets/sockets.wit", text: include_str!("../../wit/deps/sockets/sockets.wit") },
];

/// Every file a package in `lang` starts with.
pub(crate) fn files(lang: Lang) -> impl Iterator<Item = &'static Template> {
    let (own, wit): (&[Template], &[Template]) = match lang {
        // The SDK carries its own copy of the WIT.
        Lang::Rust => (RUST, &[]),
        Lang::Python => (PYTHON, WIT),
        Lang::Js => (JS, WIT),
    };
    own.iter().chain(wit.iter())
}
