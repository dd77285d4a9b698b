//! A tool package on disk: manifest + component, compiled (or loaded from the cache),
//! pre-instantiated once, its tools listed and their specs checked.

use crate::bindings::dive::tool::types as wit;
use crate::bindings::ToolProviderPre;
use crate::engine::{CacheOutcome, DiveEngine};
use crate::instances::{self, ReadyInstances};
use crate::manifest::{Manifest, ManifestError};
use crate::sandbox::{files, CallCtx};
use crate::untrusted::{self, caps, Follow};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use thiserror::Error;
use wasmtime::component::Linker;

#[derive(Debug, Error)]
pub enum PackageError {
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    #[error("cannot read the component {path} named in {manifest}: {source}")]
    ReadComponent {
        path: PathBuf,
        manifest: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Refused { path: PathBuf, message: String },
    #[error("the component named in {manifest} cannot be used: {source}")]
    Component {
        manifest: PathBuf,
        #[source]
        source: untrusted::UntrustedError,
    },
}

/// Whether a package's manifest is trusted for the host secrets it names
/// (ARCHITECTURE.md §9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Trust {
    /// The built-in pool: every secret its manifests name is given.
    Builtin,
    /// A package from `--tools`/`DIVE_TOOLS`: a secret only with `--grant PACKAGE:SECRET`.
    Community,
}

/// A tool's description, as its component declares it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ToolSpec {
    pub name: String,
    pub description: String,
    pub input_schema: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output_schema: Option<Value>,
}

/// A loaded package.
pub struct Package {
    pub manifest: Manifest,
    /// The package directory's name: what `--grant PACKAGE:SECRET` names.
    pub name: String,
    pub trust: Trust,
    pub component_hash: blake3::Hash,
    pub component_size: usize,
    pub cache: CacheOutcome,
    pub(crate) pre: ToolProviderPre<CallCtx>,
    /// Instances made ahead of time for this package's calls.
    ready: Arc<ReadyInstances>,
    /// The package's read-only dirs, resolved and checked: (host dir, guest path).
    pub mounts: Vec<(PathBuf, String)>,
    pub tools: Vec<ToolSpec>,
}

impl std::fmt::Debug for Package {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Package")
            .field("manifest", &self.manifest.path)
            .field("component_hash", &self.component_hash.to_hex().as_str())
            .field("tools", &self.tools.iter().map(|t| &t.name).collect::<Vec<_>>())
            .finish()
    }
}

/// How long `list-tools` may take at load.
const LIST_TOOLS_TIMEOUT_MS: u64 = 10_000;

impl Package {
    pub async fn load(
        dir: &Path,
        trust: Trust,
        engine: &DiveEngine,
        linker: &Linker<CallCtx>,
    ) -> Result<Package, PackageError> {
        let manifest = Manifest::load(dir)?;
        let component_path = manifest.component.clone();
        let refused = |message: String| PackageError::Refused {
            path: component_path.clone(),
            message,
        };
        let bytes = read_component(&manifest)?;
        let mounts = files::resolve_mounts(&manifest.dir, &manifest.policy.files).map_err(|m| {
            PackageError::Refused {
                path: manifest.path.clone(),
                message: m,
            }
        })?;
        let component_hash = blake3::hash(&bytes);
        let (component, cache) = engine
            .load_component(&manifest.component, &bytes, &component_hash)
            .map_err(|e| refused(e.to_string()))?;
        tracing::info!(
            "{}: component {} {}",
            manifest.path.display(),
            component_hash.to_hex(),
            match cache {
                CacheOutcome::Hit => "loaded from the compiled-component cache",
                CacheOutcome::Compiled => "compiled and cached",
                CacheOutcome::Uncached => "compiled (no cache)",
            }
        );
        let pre = linker.instantiate_pre(&component).map_err(|e| {
            refused(format!(
                "it imports something a dive sandbox does not provide (tools get wasi:cli/imports and wasi:http/outgoing-handler only): {e:#}"
            ))
        })?;
        let pre = ToolProviderPre::new(pre).map_err(|e| {
            refused(format!(
                "it does not export dive:tool/tool@0.1.0 (build it for the dive:tool/tool-provider world): {e:#}"
            ))
        })?;

        let ready = Arc::new(ReadyInstances::new(
            manifest.policy.memory_bytes(),
            manifest.policy.timeout_ms,
        ));
        let mut pkg = Package {
            name: package_name(&manifest.dir),
            trust,
            manifest,
            component_hash,
            component_size: bytes.len(),
            cache,
            pre,
            mounts,
            ready,
            tools: Vec::new(),
        };
        let specs = pkg.list_tools().await.map_err(refused)?;
        pkg.tools = check_specs(specs, &pkg.manifest).map_err(refused)?;
        Ok(pkg)
    }

    /// Run `list-tools` in the parked sandbox (no network, no files).
    async fn list_tools(&self) -> Result<Vec<wit::ToolSpec>, String> {
        let run = async {
            let mut fresh = instances::instantiate(&self.pre, self.manifest.policy.memory_bytes(), LIST_TOOLS_TIMEOUT_MS)
                .await
                .map_err(|f| match f.violation {
                    Some(v) => format!("cannot be instantiated: {v}"),
                    None => format!("cannot be instantiated: {:#}", f.error),
                })?;
            let specs = fresh
                .provider
                .dive_tool_tool()
                .call_list_tools(&mut fresh.store)
                .await
                .map_err(|e| format!("list-tools failed (trapped): {e:#}"));
            instances::discard(fresh.store);
            specs
        };
        match tokio::time::timeout(std::time::Duration::from_millis(LIST_TOOLS_TIMEOUT_MS), run).await {
            Ok(r) => r,
            Err(_) => Err(format!("list-tools did not finish within {LIST_TOOLS_TIMEOUT_MS} ms")),
        }
    }

    /// A fresh instance for a call of a tool with `memory_bytes` of memory.
    pub(crate) async fn fresh_instance(
        &self,
        memory_bytes: usize,
        timeout_ms: u64,
    ) -> Result<instances::Fresh, instances::InstantiateFailure> {
        self.ready.take(&self.pre, memory_bytes, timeout_ms).await
    }
}

/// The component's bytes: a regular file inside the package, at most
/// [`caps::COMPONENT_BYTES`].
fn read_component(manifest: &Manifest) -> Result<Vec<u8>, PackageError> {
    let component = |source| PackageError::Component { manifest: manifest.path.clone(), source };
    if let Err(source) = std::fs::symlink_metadata(&manifest.component) {
        return Err(PackageError::ReadComponent {
            path: manifest.component.clone(),
            manifest: manifest.path.clone(),
            source,
        });
    }
    let real = untrusted::inside(&manifest.dir, &manifest.component).map_err(component)?;
    untrusted::read_bounded(&real, caps::COMPONENT_BYTES, "the component size cap", Follow::No).map_err(component)
}

/// A package's name: its directory's name (what grants and locks name).
pub fn package_name(dir: &Path) -> String {
    let real = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    real.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

fn is_snake_case(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Check the specs a component declared: snake_case unique names, schemas that parse
/// and compile, per-tool policy sections that name real tools.
fn check_specs(specs: Vec<wit::ToolSpec>, manifest: &Manifest) -> Result<Vec<ToolSpec>, String> {
    if specs.is_empty() {
        return Err("the component lists no tools".into());
    }
    if specs.len() > caps::TOOLS_PER_COMPONENT {
        return Err(format!(
            "the component lists {} tools; at most {} are allowed",
            specs.len(),
            caps::TOOLS_PER_COMPONENT
        ));
    }
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for s in specs {
        if !is_snake_case(&s.name) {
            return Err(format!(
                "tool name \"{}\" is not snake_case (a-z, 0-9, _; starting with a letter; at most 64)",
                s.name
            ));
        }
        if !seen.insert(s.name.clone()) {
            return Err(format!("the component lists tool \"{}\" twice", s.name));
        }
        let input_schema = parse_schema(&s.input_schema)
            .map_err(|e| format!("tool \"{}\": input schema {e}", s.name))?;
        let output_schema = match &s.output_schema {
            Some(text) => Some(
                parse_schema(text).map_err(|e| format!("tool \"{}\": output schema {e}", s.name))?,
            ),
            None => None,
        };
        out.push(ToolSpec {
            name: s.name,
            description: s.description,
            input_schema,
            output_schema,
        });
    }
    for tool in manifest.tool_policies.keys() {
        if !seen.contains(tool) {
            return Err(format!(
                "{} has a [tools.{tool}] section but the component has no tool \"{tool}\"",
                manifest.path.display()
            ));
        }
    }
    Ok(out)
}

fn parse_schema(text: &str) -> Result<Value, String> {
    let v: Value = serde_json::from_str(text).map_err(|e| format!("is not JSON: {e}"))?;
    jsonschema::draft202012::new(&v).map_err(|e| format!("is not a valid JSON Schema: {e}"))?;
    Ok(v)
}
