//! A tool package on disk: manifest + component, compiled (or loaded from the cache),
//! pre-instantiated once, its tools listed and their specs checked.

use crate::bindings::dive::tool::types as wit;
use crate::bindings::ToolProviderPre;
use crate::engine::{CacheOutcome, DiveEngine};
use crate::index::{FileStamp, Indexed, IndexedTool, Lookup, PoolIndex};
use crate::instances::{self, ReadyInstances};
use crate::manifest::{Manifest, ManifestError};
use crate::sandbox::{files, CallCtx};
use crate::schema::Schema;
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
    #[error("the component {path} changed since it was indexed (BLAKE3 {found}, was {indexed}); run the command again to load the new one")]
    Changed { path: PathBuf, indexed: String, found: String },
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
    /// The tool's name: snake_case, starting with a letter, at most 64 characters,
    /// unique in the pool.
    pub name: String,
    /// What the tool does, for people and models choosing a tool.
    pub description: String,
    /// The JSON Schema (draft 2020-12) the arguments of a call must match; checked
    /// before the call runs.
    pub input_schema: Schema,
    /// The JSON Schema a result must match, when the tool declares one; a result that
    /// does not is an internal tool error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output_schema: Option<Schema>,
}

/// A loaded package: what is known of it (manifest, component digest, tools), and the
/// component made ready for calls — at load, or at its first call when what is known came
/// from the pool index ([`crate::index`]).
pub struct Package {
    /// The package's manifest and policy.
    pub manifest: Manifest,
    /// The package directory's name: what `--grant PACKAGE:SECRET` names.
    pub name: String,
    /// Which source it came from: the built-in pool or a community one.
    pub trust: Trust,
    /// BLAKE3 of the component's bytes (part of each tool's identity).
    pub component_hash: blake3::Hash,
    /// The component's length in bytes.
    pub component_size: usize,
    /// The package's read-only dirs, resolved and checked: (host dir, guest path).
    pub mounts: Vec<(PathBuf, String)>,
    /// Its tools, in the order the component lists them.
    pub tools: Vec<Arc<ToolSpec>>,
    /// Whether what is known came from the pool index rather than a full load.
    pub from_index: bool,
    runnable: tokio::sync::OnceCell<Runnable>,
}

/// A package's component, compiled (or loaded from the cache) and pre-instantiated.
pub(crate) struct Runnable {
    cache: CacheOutcome,
    pre: ToolProviderPre<CallCtx>,
    /// Instances made ahead of time for this package's calls.
    ready: Arc<ReadyInstances>,
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

/// What a package is loaded with: the engine, the host imports, and the pool index
/// (None: no index; every package is loaded in full).
#[derive(Clone, Copy)]
pub struct LoadCtx<'a> {
    pub engine: &'a DiveEngine,
    pub linker: &'a Linker<CallCtx>,
    pub index: Option<&'a PoolIndex>,
}

impl Package {
    /// Load the package in `dir` in full: compile its component, list its tools.
    pub async fn load(
        dir: &Path,
        trust: Trust,
        engine: &DiveEngine,
        linker: &Linker<CallCtx>,
    ) -> Result<Package, PackageError> {
        let (manifest, _) = Manifest::load_digested(dir)?;
        Package::load_full(manifest, trust, engine, linker).await.map(|(p, _)| p)
    }

    /// Load the package in `dir`: from the pool index when it has a current entry for it
    /// (nothing of the component is read), else in full, recording what was found.
    pub async fn open(dir: &Path, trust: Trust, ctx: LoadCtx<'_>) -> Result<Package, PackageError> {
        let (manifest, manifest_hash) = Manifest::load_digested(dir)?;
        let Some(index) = ctx.index else {
            return Package::load_full(manifest, trust, ctx.engine, ctx.linker).await.map(|(p, _)| p);
        };
        let at = Lookup { manifest: &manifest, manifest_hash: &manifest_hash };
        if let Some(hit) = index.get(&at) {
            {
                tracing::info!("{}: tools from the pool index", manifest.path.display());
                let tools = specs_from_index(hit.tools);
                let mounts = resolve_mounts(&manifest)?;
                return Ok(Package {
                    name: name_of(&manifest),
                    trust,
                    manifest,
                    component_hash: hit.component_hash,
                    component_size: hit.component_size as usize,
                    mounts,
                    tools,
                    from_index: true,
                    runnable: tokio::sync::OnceCell::new(),
                });
            }
        }
        let (pkg, found) = Package::load_full(manifest, trust, ctx.engine, ctx.linker).await?;
        let at = Lookup { manifest: &pkg.manifest, manifest_hash: &manifest_hash };
        if let Some((stamp, indexed)) = found {
            if let Err(e) = index.put(&at, stamp, &indexed) {
                tracing::warn!("{e}");
            }
        }
        Ok(pkg)
    }

    /// Compile, pre-instantiate and list the tools; with what the index should record.
    async fn load_full(
        manifest: Manifest,
        trust: Trust,
        engine: &DiveEngine,
        linker: &Linker<CallCtx>,
    ) -> Result<(Package, Option<(FileStamp, Indexed)>), PackageError> {
        let (bytes, stamp) = read_component(&manifest)?;
        let mounts = resolve_mounts(&manifest)?;
        let component_hash = blake3::hash(&bytes);
        let runnable = Runnable::compile(&manifest, &bytes, &component_hash, engine, linker)?;
        let specs = runnable.list_tools(&manifest).await.map_err(|m| refused(&manifest, m))?;
        let tools: Vec<Arc<ToolSpec>> =
            check_specs(specs, &manifest).map_err(|m| refused(&manifest, m))?.into_iter().map(Arc::new).collect();
        let indexed_tools: Vec<IndexedTool> = tools.iter().map(|t| indexed_tool(t)).collect();
        let indexed = stamp.map(|s| {
            let indexed = Indexed { component_hash, component_size: bytes.len() as u64, tools: indexed_tools };
            (s, indexed)
        });
        let pkg = Package {
            name: name_of(&manifest),
            trust,
            manifest,
            component_hash,
            component_size: bytes.len(),
            mounts,
            tools,
            from_index: false,
            runnable: tokio::sync::OnceCell::new_with(Some(runnable)),
        };
        Ok((pkg, indexed))
    }

    /// What the component cache did for this package's component; None while it has not
    /// been needed yet (a package from the index before its first call).
    pub fn cache(&self) -> Option<CacheOutcome> {
        self.runnable.get().map(|r| r.cache)
    }

    /// The component ready for calls, compiled or loaded from the cache on first use. Its
    /// bytes must still hash to [`Package::component_hash`] (what traces record); if they
    /// do not, the index entry is dropped and the call refused.
    pub(crate) async fn runnable(&self, ctx: LoadCtx<'_>) -> Result<&Runnable, PackageError> {
        self.runnable
            .get_or_try_init(|| async {
                let (bytes, _) = read_component(&self.manifest)?;
                let found = blake3::hash(&bytes);
                if found != self.component_hash {
                    if let Some(index) = ctx.index {
                        index.forget(&self.manifest);
                    }
                    return Err(PackageError::Changed {
                        path: self.manifest.component.clone(),
                        indexed: self.component_hash.to_hex().to_string(),
                        found: found.to_hex().to_string(),
                    });
                }
                Runnable::compile(&self.manifest, &bytes, &found, ctx.engine, ctx.linker)
            })
            .await
    }
}

impl Runnable {
    /// Compile (or load from the cache) and pre-instantiate a package's component.
    fn compile(
        manifest: &Manifest,
        bytes: &[u8],
        component_hash: &blake3::Hash,
        engine: &DiveEngine,
        linker: &Linker<CallCtx>,
    ) -> Result<Runnable, PackageError> {
        let (component, cache) = engine
            .load_component(&manifest.component, bytes, component_hash)
            .map_err(|e| refused(manifest, e.to_string()))?;
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
            refused(manifest, format!(
                "it imports something a dive sandbox does not provide (tools get wasi:cli/imports and wasi:http/outgoing-handler only): {e:#}"
            ))
        })?;
        let pre = ToolProviderPre::new(pre).map_err(|e| {
            refused(manifest, format!(
                "it does not export dive:tool/tool@0.1.0 (build it for the dive:tool/tool-provider world): {e:#}"
            ))
        })?;
        let ready = Arc::new(ReadyInstances::new(engine.ready_instances(), manifest.policy.memory_bytes(), manifest.policy.timeout_ms));
        Ok(Runnable { cache, pre, ready })
    }

    /// Run `list-tools` in the parked sandbox (no network, no files).
    async fn list_tools(&self, manifest: &Manifest) -> Result<Vec<wit::ToolSpec>, String> {
        let run = async {
            let mut fresh = instances::instantiate(&self.pre, manifest.policy.memory_bytes(), LIST_TOOLS_TIMEOUT_MS)
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

fn refused(manifest: &Manifest, message: String) -> PackageError {
    PackageError::Refused { path: manifest.component.clone(), message }
}

fn resolve_mounts(manifest: &Manifest) -> Result<Vec<(PathBuf, String)>, PackageError> {
    files::resolve_mounts(&manifest.dir, &manifest.policy.files).map_err(|message| PackageError::Refused {
        path: manifest.path.clone(),
        message,
    })
}

fn indexed_tool(s: &ToolSpec) -> IndexedTool {
    IndexedTool {
        name: s.name.clone(),
        description: s.description.clone(),
        input_schema: s.input_schema.text().to_owned(),
        output_schema: s.output_schema.as_ref().map(|o| o.text().to_owned()),
    }
}

/// The specs of an index entry. The schemas are stored as the compact text of the values
/// a full load parsed, so they read back as those values (same keys, same order, same
/// numbers) — parsed only when a command reads them.
fn specs_from_index(tools: Vec<IndexedTool>) -> Vec<Arc<ToolSpec>> {
    tools
        .into_iter()
        .map(|t| {
            Arc::new(ToolSpec {
                name: t.name,
                description: t.description,
                input_schema: Schema::from_raw(t.input_schema),
                output_schema: t.output_schema.map(Schema::from_raw),
            })
        })
        .collect()
}

/// The component's bytes: a regular file inside the package, at most
/// [`caps::COMPONENT_BYTES`]; with its stamp taken before the read (None if it could not
/// be taken: such a package is not indexed).
fn read_component(manifest: &Manifest) -> Result<(Vec<u8>, Option<FileStamp>), PackageError> {
    let component = |source| PackageError::Component { manifest: manifest.path.clone(), source };
    if let Err(source) = std::fs::symlink_metadata(&manifest.component) {
        return Err(PackageError::ReadComponent {
            path: manifest.component.clone(),
            manifest: manifest.path.clone(),
            source,
        });
    }
    let real_dir = manifest
        .real_dir()
        .map_err(|source| component(untrusted::UntrustedError::Io { path: manifest.dir.clone(), source }))?;
    let real = untrusted::inside_real(&real_dir, &manifest.component).map_err(component)?;
    let stamp = FileStamp::of(&real);
    let bytes = untrusted::read_bounded(&real, caps::COMPONENT_BYTES, "the component size cap", Follow::No).map_err(component)?;
    Ok((bytes, stamp))
}

/// A package's name: its directory's name, symlinks resolved (what grants and locks
/// name).
fn name_of(manifest: &Manifest) -> String {
    dir_name(&manifest.real_dir().unwrap_or_else(|_| manifest.dir.clone()))
}

fn dir_name(real: &Path) -> String {
    real.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

/// Whether `name` is a tool name: snake_case, starting with a letter, at most 64.
pub(crate) fn is_snake_case(name: &str) -> bool {
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

fn parse_schema(text: &str) -> Result<Schema, String> {
    let v: Value = serde_json::from_str(text).map_err(|e| format!("is not JSON: {e}"))?;
    jsonschema::draft202012::new(&v).map_err(|e| format!("is not a valid JSON Schema: {e}"))?;
    Ok(Schema::from_value(v))
}
