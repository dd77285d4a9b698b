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

/// OpenAI chat-completions `tools` array.
pub fn openai(rt: &Runtime) -> Result<u8> {
    let arr: Vec<Value> = rt
        .tools()
        .map(|t| {
            json!({
                "type": "function",
                "function": {
                    "name": t.spec.name,
                    "description": t.spec.description,
                    "parameters": strip_meta(&t.spec.input_schema),
                }
            })
        })
        .collect();
    println!("{}", serde_json::to_string_pretty(&arr)?);
    Ok(0)
}

/// MCP `tools/list` result.
pub fn mcp(rt: &Runtime) -> Result<u8> {
    let arr: Vec<Value> = rt
        .tools()
        .map(|t| {
            let mut v = json!({
                "name": t.spec.name,
                "description": t.spec.description,
                "inputSchema": t.spec.input_schema,
            });
            if let Some(o) = &t.spec.output_schema {
                v["outputSchema"] = o.clone();
            }
            v
        })
        .collect();
    println!("{}", serde_json::to_string_pretty(&json!({ "tools": arr }))?);
    Ok(0)
}

/// OpenAI function parameters take a plain object schema: drop `$schema` and `title`.
fn strip_meta(schema: &Value) -> Value {
    let mut s = schema.clone();
    if let Some(m) = s.as_object_mut() {
        m.remove("$schema");
        m.remove("title");
    }
    s
}
