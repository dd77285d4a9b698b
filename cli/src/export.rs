//! `dive tools list|show|export`: tool specs as text, JSON, OpenAI and MCP formats.

use anyhow::Result;
use dive_runtime::{Domain, Runtime, ToolEntry};
use serde_json::{json, Value};

fn spec_json(e: &ToolEntry) -> Value {
    let mut v = json!({
        "name": e.spec.name,
        "description": e.spec.description,
        "domain": e.domain(),
        "input_schema": e.spec.input_schema,
    });
    if let Some(o) = &e.spec.output_schema {
        v["output_schema"] = o.clone();
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
            return Err(crate::usage(rt.unknown_tool(name).to_string()));
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

/// `dive export TASKS --format messages --out FILE`.
pub async fn messages(g: &crate::Global, tasks: &std::path::Path, out: &std::path::Path) -> Result<u8> {
    let tasks = dive_deriver::verify::read_tasks(tasks).map_err(|e| crate::usage(e.to_string()))?;
    let runtime = crate::open_runtime(g).await?;
    let store = crate::open_store(g)?;
    let mut text = String::new();
    for t in &tasks {
        let row = dive_export::messages::row(&runtime, &store, t).map_err(|e| crate::usage(e.to_string()))?;
        text.push_str(&row.to_string());
        text.push('\n');
    }
    dive_runtime::fsutil::write_atomic(out, text.as_bytes())
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", out.display()))?;
    eprintln!("wrote {} trajectories to {}", tasks.len(), out.display());
    Ok(0)
}

/// `dive export TASKS --format hf --out DIR`: Parquet and a dataset card with provenance.
pub async fn hf(g: &crate::Global, tasks_path: &std::path::Path, out: &std::path::Path, version: &str) -> Result<u8> {
    use std::collections::{BTreeMap, BTreeSet};
    let tasks = dive_deriver::verify::read_tasks(tasks_path).map_err(|e| crate::usage(e.to_string()))?;
    let runtime = crate::open_runtime(g).await?;
    let store = crate::open_store(g)?;
    let traces: BTreeSet<&str> = tasks.iter().map(|t| t.evidence.trace.as_str()).collect();
    let evidence_digest = blake3::hash(traces.iter().copied().collect::<Vec<_>>().join("\n").as_bytes()).to_hex().to_string();
    let names: BTreeMap<String, String> =
        runtime.packages().iter().map(|p| (p.component_hash.to_hex().to_string(), p.name.clone())).collect();
    let mut components = BTreeSet::new();
    for id in &traces {
        let (doc, _) = dive_runtime::trace::read_trace(&store, id).map_err(|e| crate::usage(format!("trace {id}: {e}")))?;
        for c in &doc.calls {
            let name = names.get(&c.tool.component).cloned().unwrap_or_else(|| "(not in the pool)".into());
            components.insert((name, c.tool.component.clone()));
        }
    }
    let mut runs: BTreeMap<(String, u64, String), usize> = BTreeMap::new();
    for t in &tasks {
        *runs.entry((t.domain.clone(), t.config.run_seed, t.config.policy.clone())).or_default() += 1;
    }
    let commands = runs
        .iter()
        .map(|((d, s, p), n)| format!("dive synth --domain {d} --seed {s} --policy {p} ({n} tasks)"))
        .collect();
    let infos = dive_deriver::synth::tool_infos(&runtime);
    let retrieval = |name: &str| infos.get(name).is_none_or(|t| t.retrieval);
    let stats = dive_deriver::stats::stats(&tasks, &retrieval).to_string();
    let rows: Vec<serde_json::Value> = tasks.iter().map(serde_json::to_value).collect::<Result<_, _>>()?;
    let prov = dive_export::hf::Provenance {
        dive_version: version.to_string(),
        commands,
        evidence_digest,
        components: components.into_iter().collect(),
        stats,
        source: tasks_path.display().to_string(),
    };
    dive_export::hf::write(out, &rows, &prov)?;
    eprintln!("wrote {} tasks to {}/data/ with a dataset card {}/README.md", rows.len(), out.display(), out.display());
    Ok(0)
}
