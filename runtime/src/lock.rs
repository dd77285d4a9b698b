//! `dive-tools.lock`: the packages a project runs, pinned by digest (ARCHITECTURE.md §9).
//!
//! `dive tools lock` writes one entry per loaded package — its name, where it came from,
//! the BLAKE3 of its component and of its policy — and `--locked FILE` refuses to run
//! with any package the lock does not list or whose digests differ, so a pool pinned
//! once cannot change under a build, a CI run or a server without someone noticing.

use crate::canonical;
use crate::manifest::Manifest;
use crate::package::{Package, Trust};
use serde::{Deserialize, Serialize};
use std::path::Path;
use thiserror::Error;

/// The lock file's default name.
pub const LOCK_FILE: &str = "dive-tools.lock";
/// The format version this dive writes and reads.
pub const LOCK_VERSION: u32 = 1;

/// A lock file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lock {
    /// The format version; only [`LOCK_VERSION`] is read.
    pub version: u32,
    /// The pinned packages (`[[package]]` tables), sorted by name then component digest.
    #[serde(default, rename = "package")]
    pub packages: Vec<LockedPackage>,
}

/// One pinned package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockedPackage {
    /// The package directory's name.
    pub name: String,
    /// Whether it came from the built-in pool or a community source (recorded, not
    /// compared).
    pub trust: Trust,
    /// BLAKE3 of the component bytes.
    pub component: String,
    /// BLAKE3 of the package's policy: domain, package policy, secret rules and per-tool
    /// policies, as canonical JSON (comments and layout of the manifest do not count).
    pub policy: String,
    /// The tools the package provides, sorted.
    pub tools: Vec<String>,
}

/// What is wrong with a lock file or with the pool against it.
#[derive(Debug, Error)]
pub enum LockError {
    /// The lock file could not be read (missing, not a regular file, too large, not
    /// UTF-8).
    #[error("cannot read the lock file {path}: {message}")]
    Read {
        /// The lock file.
        path: String,
        /// Why not.
        message: String,
    },
    /// The file is not TOML of the lock's shape, or has another version.
    #[error("{path} is not a dive tools lock (version {LOCK_VERSION}): {message}")]
    Parse {
        /// The lock file.
        path: String,
        /// The decoder's complaint, on one line, or the version found.
        message: String,
    },
    /// Some loaded packages are not in the lock, or differ from their entries.
    #[error("the pool does not match the lock file {path}:\n  {}\nrun `dive tools lock --out {path}` if these packages are the ones you mean to run", problems.join("\n  "))]
    Mismatch {
        /// The lock file.
        path: String,
        /// One line per package that does not match ([`Lock::problems`]).
        problems: Vec<String>,
    },
}

/// The digest of a manifest's policy.
pub fn policy_digest(m: &Manifest) -> String {
    let doc = serde_json::json!({
        "domain": m.domain,
        "policy": m.policy,
        "secrets": m.secrets,
        "tools": m.tool_policies,
    });
    blake3::hash(&canonical::to_vec(&doc).expect("a policy serializes")).to_hex().to_string()
}

impl LockedPackage {
    /// The entry for a loaded package.
    pub fn of(p: &Package) -> LockedPackage {
        let mut tools: Vec<String> = p.tools.iter().map(|t| t.name.clone()).collect();
        tools.sort();
        LockedPackage {
            name: p.name.clone(),
            trust: p.trust,
            component: p.component_hash.to_hex().to_string(),
            policy: policy_digest(&p.manifest),
            tools,
        }
    }
}

impl Lock {
    /// The lock of a set of loaded packages, sorted by name then digest.
    pub fn of<'a>(packages: impl IntoIterator<Item = &'a Package>) -> Lock {
        let mut packages: Vec<LockedPackage> = packages.into_iter().map(LockedPackage::of).collect();
        packages.sort_by(|a, b| (&a.name, &a.component).cmp(&(&b.name, &b.component)));
        Lock { version: LOCK_VERSION, packages }
    }

    /// The lock as TOML text, with a header saying what it is.
    pub fn to_toml(&self) -> String {
        let body = toml::to_string(self).expect("a lock serializes");
        format!("# dive tools lock: the tool packages this project runs, pinned by digest.\n# Written by `dive tools lock`; checked by `--locked FILE`.\n{body}")
    }

    /// Read a lock file (bounded: a lock is small).
    pub fn read(path: &Path) -> Result<Lock, LockError> {
        let shown = path.display().to_string();
        let text = crate::untrusted::read_text_bounded(path, 16 << 20, "the lock file cap")
            .map_err(|e| LockError::Read { path: shown.clone(), message: e.to_string() })?;
        let lock: Lock = toml::from_str(&text)
            .map_err(|e| LockError::Parse { path: shown.clone(), message: e.to_string().trim().replace('\n', " ") })?;
        if lock.version != LOCK_VERSION {
            return Err(LockError::Parse { path: shown, message: format!("it says version {}", lock.version) });
        }
        Ok(lock)
    }

    /// Why each loaded package does not match this lock (empty: all do). A package
    /// matches an entry with its name and both digests.
    pub fn problems<'a>(&self, packages: impl IntoIterator<Item = &'a Package>) -> Vec<String> {
        let mut out = Vec::new();
        for p in packages {
            let now = LockedPackage::of(p);
            let named: Vec<&LockedPackage> = self.packages.iter().filter(|e| e.name == now.name).collect();
            if named.is_empty() {
                out.push(format!("package {} ({}) is not in the lock", now.name, p.manifest.dir.display()));
            } else if !named.iter().any(|e| e.component == now.component && e.policy == now.policy) {
                let e = named[0];
                let mut what = Vec::new();
                if e.component != now.component {
                    what.push(format!("its component is {} (locked: {})", short(&now.component), short(&e.component)));
                }
                if e.policy != now.policy {
                    what.push(format!("its policy is {} (locked: {})", short(&now.policy), short(&e.policy)));
                }
                out.push(format!("package {} ({}): {}", now.name, p.manifest.dir.display(), what.join("; ")));
            }
        }
        out
    }

    /// Check loaded packages against this lock, read from `path`.
    pub fn check<'a>(&self, path: &Path, packages: impl IntoIterator<Item = &'a Package>) -> Result<(), LockError> {
        let problems = self.problems(packages);
        if problems.is_empty() {
            Ok(())
        } else {
            Err(LockError::Mismatch { path: path.display().to_string(), problems })
        }
    }
}

fn short(digest: &str) -> &str {
    &digest[..digest.len().min(12)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_digest_ignores_layout_but_not_meaning() {
        let p = Path::new("/pkg/dive-tool.toml");
        let a = Manifest::parse("component = \"a.wasm\"\ndomain = \"general\"\n[policy]\ntimeout_ms = 100\n", p).unwrap();
        let b = Manifest::parse("# a comment\ncomponent = \"a.wasm\"\ndomain   = \"general\"\n\n[policy]\ntimeout_ms = 100\n", p).unwrap();
        let c = Manifest::parse("component = \"a.wasm\"\ndomain = \"general\"\n[policy]\ntimeout_ms = 200\n", p).unwrap();
        assert_eq!(policy_digest(&a), policy_digest(&b));
        assert_ne!(policy_digest(&a), policy_digest(&c));
    }

    #[test]
    fn locks_round_trip_through_toml() {
        let lock = Lock {
            version: LOCK_VERSION,
            packages: vec![LockedPackage {
                name: "bio_seq".into(),
                trust: Trust::Builtin,
                component: "a".repeat(64),
                policy: "b".repeat(64),
                tools: vec!["bio_seq_translate".into()],
            }],
        };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(LOCK_FILE);
        std::fs::write(&path, lock.to_toml()).unwrap();
        assert_eq!(Lock::read(&path).unwrap(), lock);
        std::fs::write(&path, "version = 9\n").unwrap();
        assert!(Lock::read(&path).unwrap_err().to_string().contains("version 9"));
    }
}
