//! `dive tools`: list, show, lock and export the tools of the pool.

use crate::context::{open_runtime_for_one_call, usage, Global};
use anyhow::{Context, Result};
use clap::{Subcommand, ValueEnum};
use dive_runtime::{Domain, Runtime, ToolEntry};
use serde_json::{json, Value};
use std::path::PathBuf;

#[derive(Subcommand)]
pub(crate) enum ToolsCommand {
    /// One line per tool (--json: an array of tool specs).
    List {
        #[arg(long)]
        domain: Option<Domain>,
    },
    /// A tool's spec, schemas, component hash and effective policy.
    Show { name: String },
    /// Pin every loaded package's component and policy digests in a lock file, for
    /// `--locked FILE`.
    Lock {
        /// Where to write it.
        #[arg(long, value_name = "FILE", default_value = dive_runtime::lock::LOCK_FILE)]
        out: PathBuf,
    },
    /// Tool specs in another ecosystem's format (all, or those chosen).
    Export {
        #[arg(long, value_enum)]
        format: ExportFormat,
        /// Only this domain's tools.
        #[arg(long)]
        domain: Option<Domain>,
        /// Only these tools (repeatable).
        #[arg(long = "tool", value_name = "NAME")]
        names: Vec<String>,
        /// OpenAI strict mode: every property required, optional ones nullable,
        /// additionalProperties false, keywords strict mode lacks left out.
        #[arg(long)]
        strict: bool,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum ExportFormat {
    Openai,
    Anthropic,
    Mcp,
}

/// `dive tools ...`.
pub(crate) async fn run(g: &Global, command: &ToolsCommand) -> Result<u8> {
    let runtime = open_runtime_for_one_call(g).await?;
    match command {
        ToolsCommand::List { domain } => list(&runtime, *domain, g.json),
        ToolsCommand::Show { name } => {
            let Some(entry) = runtime.tool(name) else {
                return Err(usage(runtime.unknown_tool(name).to_string()));
            };
            show(&runtime, entry, g.json)
        }
        ToolsCommand::Lock { out } => {
            let lock = dive_runtime::lock::Lock::of(runtime.packages().iter().map(|p| &**p));
            dive_runtime::fsutil::write_atomic(out, lock.to_toml().as_bytes())
                .with_context(|| format!("cannot write {}", out.display()))?;
            eprintln!("locked {} packages in {}", lock.packages.len(), out.display());
            Ok(0)
        }
        ToolsCommand::Export { format, domain, names, strict } => {
            let format = match format {
                ExportFormat::Openai => dive_export::Format::OpenAi,
                ExportFormat::Anthropic => dive_export::Format::Anthropic,
                ExportFormat::Mcp => dive_export::Format::Mcp,
            };
            if *strict && format != dive_export::Format::OpenAi {
                return Err(usage("--strict is OpenAI's strict mode: use it with --format openai"));
            }
            export(&runtime, format, &Selection { domain: *domain, tools: names }, *strict)
        }
    }
}

fn spec_json(e: &ToolEntry) -> Value {
    let mut v = json!({
        "name": e.spec.name,
        "description": e.spec.description,
        "domain": e.domain(),
        "input_schema": e.spec.input_schema,
    });
    if let Some(o) = &e.spec.output_schema {
        v["output_schema"] = o.value().clone();
    }
    v
}

/// The first sentence of a description (not fooled by "e.g."), at most ~100 characters.
fn summary(description: &str) -> String {
    let line = description.lines().next().unwrap_or_default().trim();
    let mut end = line.len();
    for (i, _) in line.match_indices(". ") {
        let before = &line[..i];
        let word = before.rsplit([' ', '(']).next().unwrap_or_default();
        if !matches!(word, "e.g" | "i.e" | "cf" | "vs" | "etc" | "approx") && !word.ends_with(".g") {
            end = i + 1;
            break;
        }
    }
    let s = &line[..end];
    if s.chars().count() > 100 {
        let cut: String = s.chars().take(99).collect();
        format!("{}…", cut.trim_end())
    } else {
        s.to_string()
    }
}

pub fn list(rt: &Runtime, domain: Option<Domain>, as_json: bool) -> Result<u8> {
    let tools: Vec<&ToolEntry> = rt.tools().filter(|t| domain.is_none_or(|d| t.domain() == d)).collect();
    if as_json {
        let arr: Vec<Value> = tools.iter().map(|t| spec_json(t)).collect();
        println!("{}", serde_json::to_string_pretty(&arr)?);
    } else {
        for t in &tools {
            println!("{:<40} {:<10} {}", t.spec.name, t.domain(), summary(&t.spec.description));
        }
        if tools.is_empty() {
            eprintln!("no tools (built-in pool not built? run `make`; or pass --tools DIR)");
        }
    }
    Ok(0)
}

pub fn show(rt: &Runtime, e: &ToolEntry, as_json: bool) -> Result<u8> {
    let pkg = &e.package;
    let secrets: Vec<Value> = e
        .policy
        .secrets
        .iter()
        .map(|name| {
            json!({
                "name": name,
                "required": pkg.manifest.secrets.get(name).is_some_and(|r| r.required),
                "granted": rt.is_granted(pkg, name),
            })
        })
        .collect();
    let detail = json!({
        "name": e.spec.name,
        "description": e.spec.description,
        "domain": e.domain(),
        "input_schema": e.spec.input_schema,
        "output_schema": e.spec.output_schema,
        "component": {
            "path": pkg.manifest.component,
            "blake3": e.identity.component,
            "bytes": pkg.component_size,
        },
        "manifest": pkg.manifest.path,
        "package": { "name": pkg.name, "trust": pkg.trust },
        "secrets": secrets,
        "policy": *e.policy,
        "policy_blake3": e.identity.policy,
    });
    if as_json {
        println!("{}", serde_json::to_string_pretty(&detail)?);
        return Ok(0);
    }
    println!("{}  ({})", e.spec.name, e.domain());
    println!("  {}", e.spec.description);
    println!("component  {}", pkg.manifest.component.display());
    println!("blake3     {}", e.identity.component);
    println!("manifest   {}", pkg.manifest.path.display());
    println!("package    {} ({})", pkg.name, match pkg.trust {
        dive_runtime::Trust::Builtin => "built-in: trusted with the secrets its manifest names",
        dive_runtime::Trust::Community => "community: host secrets only by --grant",
    });
    println!("policy     {}", serde_json::to_string(&*e.policy)?);
    for s in &secrets {
        let name = s["name"].as_str().unwrap_or_default();
        let granted = if s["granted"] == true { "granted" } else { "NOT granted" };
        let required = if s["required"] == true { "required" } else { "optional" };
        let hint = if s["granted"] == true { String::new() } else { format!(" (pass --grant {}:{name})", pkg.name) };
        println!("secret     {name}: {required}, {granted}{hint}");
    }
    println!("input schema:\n{}", serde_json::to_string_pretty(&e.spec.input_schema)?);
    if let Some(o) = &e.spec.output_schema {
        println!("output schema:\n{}", serde_json::to_string_pretty(o)?);
    }
    Ok(0)
}

/// Which tools `tools export` writes: a domain and/or names (none: all).
pub struct Selection<'a> {
    pub domain: Option<Domain>,
    pub tools: &'a [String],
}

/// The selected tools; an unknown name is an error naming the nearest one.
fn select<'a>(rt: &'a Runtime, sel: &Selection<'_>) -> Result<Vec<&'a ToolEntry>> {
    for name in sel.tools {
        if rt.tool(name).is_none() {
            return Err(usage(rt.unknown_tool(name).to_string()));
        }
    }
    Ok(rt
        .tools()
        .filter(|t| sel.domain.is_none_or(|d| t.domain() == d))
        .filter(|t| sel.tools.is_empty() || sel.tools.contains(&t.spec.name))
        .collect())
}

/// `tools export --format openai|anthropic|mcp`: the selected tools' specs in that
/// ecosystem's format (ARCHITECTURE.md §11). OpenAI takes at most 128 tools a request:
/// past that a warning says to select with `--domain` or `--tool`.
pub fn export(rt: &Runtime, format: dive_export::Format, sel: &Selection<'_>, strict: bool) -> Result<u8> {
    use dive_export::Format;
    let tools = select(rt, sel)?;
    let doc = match format {
        Format::OpenAi => {
            let mut not_strict = 0;
            let arr: Vec<Value> = tools
                .iter()
                .map(|t| {
                    let (spec, why_not) = dive_export::openai(t, strict);
                    if let Some(e) = why_not {
                        not_strict += 1;
                        eprintln!("note: {} is exported with strict: false: {e}", t.spec.name);
                    }
                    spec
                })
                .collect();
            if strict {
                eprintln!("{} of {} tools in strict mode", tools.len() - not_strict, tools.len());
            }
            if tools.len() > 128 {
                eprintln!("warning: {} tools; OpenAI takes at most 128 per request: choose with --domain or --tool", tools.len());
            }
            Value::Array(arr)
        }
        Format::Anthropic => Value::Array(tools.iter().map(|t| dive_export::anthropic(t)).collect()),
        Format::Mcp => json!({ "tools": tools.iter().map(|t| dive_export::mcp(t)).collect::<Vec<_>>() }),
    };
    println!("{}", serde_json::to_string_pretty(&doc)?);
    Ok(0)
}

