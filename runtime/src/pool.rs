//! The tool pool: every package from the built-in pool, each `--tools DIR` and
//! `DIVE_TOOLS`, with tool names unique across all of them.

use crate::canonical;
use crate::manifest::{Domain, Policy, MANIFEST_FILE};
use crate::package::{LoadCtx, Package, ToolSpec, Trust};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

/// A package that was not loaded, and why. Loading goes on without it.
#[derive(Debug, Clone, Serialize)]
pub struct LoadIssue {
    /// The package's manifest, or the tool source when it could not be listed.
    pub path: PathBuf,
    /// Why it was refused.
    pub message: String,
}

impl std::fmt::Display for LoadIssue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "package {} was not loaded: {}", self.path.display(), self.message)
    }
}

pub use dive_evidence::record::ToolIdentity;

/// One tool of the pool, with everything a call of it needs.
pub struct ToolEntry {
    /// Shared with the package's list (a pool of hundreds of tools is not copied).
    pub spec: Arc<ToolSpec>,
    /// The package that provides it.
    pub package: Arc<Package>,
    /// Its effective policy: the package's, narrowed by its `[tools.NAME.policy]`.
    pub policy: Arc<Policy>,
    /// What traces record it as: component hash, name, hash of `policy`.
    pub identity: ToolIdentity,
    /// The package's read-only dirs this tool's policy lets it see (host path, guest
    /// path), worked out once.
    pub mounts: Vec<(PathBuf, String)>,
    input_validator: OnceLock<Result<jsonschema::Validator, String>>,
    output_validator: OnceLock<Option<Result<jsonschema::Validator, String>>>,
}

/// A policy as the tools of a package share it: the policy, its hash and the mounts it
/// lets a tool see, worked out once per distinct policy rather than once per tool (a
/// pool of 373 tools has a few dozen).
#[derive(Clone)]
struct SharedPolicy {
    policy: Arc<Policy>,
    hash: String,
    mounts: Vec<(PathBuf, String)>,
}

impl SharedPolicy {
    fn of(policy: &Policy, package: &Package) -> SharedPolicy {
        let hash = blake3::hash(&canonical::to_vec(policy).expect("a policy serializes")).to_hex().to_string();
        let mounts = package
            .mounts
            .iter()
            .filter(|(_, guest)| policy.files.iter().any(|f| guest.trim_start_matches('/') == f))
            .cloned()
            .collect();
        SharedPolicy { policy: Arc::new(policy.clone()), hash, mounts }
    }
}

impl ToolEntry {
    fn new(spec: Arc<ToolSpec>, package: Arc<Package>, shared: SharedPolicy) -> ToolEntry {
        let identity = ToolIdentity {
            component: package.component_hash.to_hex().to_string(),
            name: spec.name.clone(),
            policy: shared.hash,
        };
        ToolEntry {
            spec,
            package,
            policy: shared.policy,
            identity,
            mounts: shared.mounts,
            input_validator: OnceLock::new(),
            output_validator: OnceLock::new(),
        }
    }

    /// The domain of its package.
    pub fn domain(&self) -> Domain {
        self.package.manifest.domain
    }

    pub(crate) fn input_validator(&self) -> Result<&jsonschema::Validator, String> {
        self.input_validator
            .get_or_init(|| jsonschema::draft202012::new(&self.spec.input_schema).map_err(|e| e.to_string()))
            .as_ref()
            .map_err(Clone::clone)
    }

    pub(crate) fn output_validator(&self) -> Option<Result<&jsonschema::Validator, String>> {
        self.output_validator
            .get_or_init(|| {
                self.spec
                    .output_schema
                    .as_ref()
                    .map(|s| jsonschema::draft202012::new(s).map_err(|e| e.to_string()))
            })
            .as_ref()
            .map(|r| r.as_ref().map_err(Clone::clone))
    }
}

/// Package directories under a source: the source itself when it holds a manifest,
/// else each immediate subdirectory that does (sorted, so the order is stable).
pub fn package_dirs(source: &Path) -> Result<Vec<PathBuf>, String> {
    // `symlink_metadata`, not `is_file`: a manifest that is not a regular file (a device,
    // a FIFO, a symlink out) is still a package, refused at load with a reason.
    let has_manifest = |dir: &Path| std::fs::symlink_metadata(dir.join(MANIFEST_FILE)).is_ok();
    if has_manifest(source) {
        return Ok(vec![source.to_path_buf()]);
    }
    let rd = std::fs::read_dir(source).map_err(|e| format!("cannot read tool directory: {e}"))?;
    let mut dirs: Vec<PathBuf> = rd
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.is_dir() && has_manifest(p))
        .collect();
    dirs.sort();
    Ok(dirs)
}

#[derive(Default)]
pub struct ToolPool {
    pub tools: BTreeMap<String, ToolEntry>,
    pub packages: Vec<Arc<Package>>,
    pub issues: Vec<LoadIssue>,
}

impl ToolPool {
    /// Load every package under `sources`, in order. The first package to provide a tool
    /// name keeps it; a later package that repeats one is refused, naming both files.
    /// What the pool index knows of a package with a current entry is taken from it
    /// (such a package's component is read only when it is called).
    pub async fn open(sources: &[(PathBuf, Trust)], ctx: LoadCtx<'_>) -> ToolPool {
        let mut pool = ToolPool::default();
        for (source, trust) in sources {
            let dirs = match package_dirs(source) {
                Ok(d) => d,
                Err(message) => {
                    pool.issues.push(LoadIssue {
                        path: source.clone(),
                        message,
                    });
                    continue;
                }
            };
            for dir in dirs {
                if pool.packages.iter().any(|p| p.manifest.dir == dir) {
                    continue; // the same directory named twice
                }
                match Package::open(&dir, *trust, ctx).await {
                    Ok(pkg) => pool.add(pkg),
                    Err(e) => pool.issues.push(LoadIssue {
                        path: dir.join(MANIFEST_FILE),
                        message: e.to_string(),
                    }),
                }
            }
        }
        pool
    }

    fn add(&mut self, pkg: Package) {
        for t in &pkg.tools {
            if let Some(existing) = self.tools.get(&t.name) {
                self.issues.push(LoadIssue {
                    path: pkg.manifest.path.clone(),
                    message: format!(
                        "tool \"{}\" is already provided by {}; tool names must be unique across the pool (rename one, or drop one of the packages)",
                        t.name,
                        existing.package.manifest.path.display()
                    ),
                });
                return;
            }
        }
        let pkg = Arc::new(pkg);
        let package_policy = SharedPolicy::of(&pkg.manifest.policy, &pkg);
        for spec in &pkg.tools {
            let shared = match pkg.manifest.tool_policies.get(&spec.name) {
                Some(own) => SharedPolicy::of(own, &pkg),
                None => package_policy.clone(),
            };
            self.tools.insert(spec.name.clone(), ToolEntry::new(spec.clone(), pkg.clone(), shared));
        }
        self.packages.push(pkg);
    }
}
