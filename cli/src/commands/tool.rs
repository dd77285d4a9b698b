//! `dive tool new|build|check` (ARCHITECTURE.md §13) over the dive-author library.

use crate::context::{runtime_config, start_runtime, usage, Global};
use anyhow::Result;
use clap::Subcommand;
use dive_author::check::{CallSummary, Level, Report};
use dive_author::{scaffold, AuthorError, Lang};
use std::path::{Path, PathBuf};

#[derive(Subcommand)]
pub(crate) enum ToolCommand {
    /// Make a tool package: one example tool, a manifest with an empty policy, a README
    /// and a test, outside any repository.
    New {
        /// The package's name, also its example tool's (snake_case).
        name: String,
        /// rust (dive-tool-sdk), python (componentize-py) or js (componentize-js).
        #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(["rust", "python", "js"]))]
        lang: String,
        /// The package directory to create (default: ./NAME).
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
    /// Build a package's component with its language's toolchain, where its manifest
    /// names it. The build runs the package's own code on this host (build scripts,
    /// app.py, app.js), outside the sandbox: build only packages you trust.
    Build {
        #[arg(default_value = ".")]
        dir: PathBuf,
    },
    /// Load a package, validate its manifest, world and schemas, call each tool once
    /// with its example arguments in the sandbox, and lint its policy. Exit 1 when an
    /// error was found, 2 when the package does not load.
    Check {
        #[arg(default_value = ".")]
        dir: PathBuf,
    },
}

pub(crate) async fn run(g: &Global, command: &ToolCommand) -> Result<u8> {
    match command {
        ToolCommand::New { name, lang, dir } => new(g, name, lang, dir.as_deref()),
        ToolCommand::Build { dir } => build(g, dir),
        ToolCommand::Check { dir } => check(g, dir).await,
    }
}

fn new(g: &Global, name: &str, lang: &str, dir: Option<&Path>) -> Result<u8> {
    let lang: Lang = lang.parse().map_err(usage)?;
    let dir = dir.map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from(name));
    let sdk_dir = match lang {
        Lang::Rust => {
            let exe_dir = std::env::current_exe().ok().and_then(|e| e.canonicalize().ok()).and_then(|e| e.parent().map(Path::to_path_buf));
            Some(scaffold::find_sdk(g.env.sdk_dir.as_deref(), exe_dir.as_deref()).map_err(explain)?)
        }
        _ => None,
    };
    let p = scaffold::NewPackage { name: name.to_string(), lang, dir: dir.clone(), sdk_dir };
    let files = scaffold::create(&p).map_err(explain)?;
    eprintln!("made the {lang} tool package {} ({} files)", dir.display(), files.len());
    let setup = match lang {
        Lang::Js => format!("  cd {} && npm install\n", dir.display()),
        _ => String::new(),
    };
    eprintln!(
        "next:\n{setup}  dive tool build {d}\n  dive tool check {d}\n  dive --tools {d} call {name} '{{\"sequence\": \"ATGC\"}}'",
        d = dir.display()
    );
    Ok(0)
}

fn build(g: &Global, dir: &Path) -> Result<u8> {
    let built = dive_author::build::build(dir, &toolchains(g)).map_err(explain)?;
    if g.json {
        println!("{}", serde_json::to_string(&built)?);
    }
    eprintln!("built {} ({} bytes, {})", built.component.display(), built.bytes, built.lang);
    Ok(0)
}

async fn check(g: &Global, dir: &Path) -> Result<u8> {
    if !dir.is_dir() {
        return Err(usage(format!("{}: no such directory", dir.display())));
    }
    dive_runtime::Manifest::load(dir).map_err(|e| usage(format!("{e}")))?;
    let mut config = runtime_config(g)?;
    // Only this package: no built-in pool, no DIVE_TOOLS.
    config.builtin_sources.clear();
    config.tool_sources = vec![dir.to_path_buf()];
    let runtime = start_runtime(g, config).await?;
    if let Some(issue) = runtime.load_issues().first() {
        return Err(usage(format!("{issue} (`dive tool build {}` makes the component)", dir.display())));
    }
    let Some(package) = runtime.packages().first().cloned() else {
        return Err(usage(format!("{}: no package was loaded", dir.display())));
    };
    let report = dive_author::check::check(&runtime, &package).await;
    print_report(&report, g.json)?;
    Ok(if report.passed() { 0 } else { 1 })
}

fn print_report(report: &Report, json: bool) -> Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(report)?);
    }
    eprintln!("{}: {} tool(s), {} bytes of component, domain {}", report.package, report.tools.len(), report.component_bytes, report.domain);
    for t in &report.tools {
        let call = match &t.call {
            CallSummary::Ok { wall_us, http_requests, result_bytes } => format!(
                "ok: {result_bytes} bytes of result in {:.1} ms, {http_requests} request(s)",
                *wall_us as f64 / 1000.0
            ),
            CallSummary::Failed { outcome, .. } => format!("FAILED (exit {})", crate::exit::of_outcome(outcome)),
            CallSummary::NotRun { .. } => "NOT RUN".into(),
        };
        eprintln!("  {} {} -> {call}", t.name, t.example);
    }
    for f in &report.findings {
        let level = match f.level {
            Level::Error => "error",
            Level::Warning => "warning",
        };
        let about = f.tool.as_deref().map(|t| format!("{t}: ")).unwrap_or_default();
        eprintln!("{level}: {about}{}", f.message);
    }
    let (errors, warnings) = (report.count(Level::Error), report.count(Level::Warning));
    let verdict = if report.passed() { "check passed" } else { "check failed" };
    eprintln!("{verdict}: {errors} error(s), {warnings} warning(s)");
    Ok(())
}

/// An authoring error as the user should see it: bad input (exit 2) when it is theirs
/// to fix by changing what they asked for, else a failure (exit 1).
fn explain(e: AuthorError) -> anyhow::Error {
    match e {
        AuthorError::BadName { .. } | AuthorError::DirNotEmpty(_) | AuthorError::NotAPackage { .. } | AuthorError::Manifest(_) => usage(e.to_string()),
        other => anyhow::Error::new(other),
    }
}

/// The toolchain programs the environment names.
fn toolchains(g: &Global) -> dive_author::build::Toolchains {
    dive_author::build::Toolchains { componentize_py: g.env.componentize_py.clone(), componentize_js: g.env.componentize_js.clone() }
}
