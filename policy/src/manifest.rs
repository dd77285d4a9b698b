//! `dive-tool.toml`: the tool package manifest and its capability policy (ARCHITECTURE.md §4).
//!
//! Policy is plain data here: parsing, defaults, validation and the per-tool narrowing
//! rule live in this module and nowhere else, so they can be tested without an engine.

use crate::origin::OriginPattern;
use crate::untrusted::{self, caps, Follow};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};
use thiserror::Error;

/// The file name of a package manifest.
pub const MANIFEST_FILE: &str = "dive-tool.toml";

/// Why a manifest could not be loaded. Every variant names the manifest file.
#[derive(Debug, Error)]
pub enum ManifestError {
    /// The manifest file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The manifest file.
        path: PathBuf,
        /// What the filesystem said.
        #[source]
        source: std::io::Error,
    },
    /// The bounded reader refused the file: too large, not a regular file, or a
    /// symlink that leaves the package (ARCHITECTURE.md §9).
    #[error(transparent)]
    Untrusted(#[from] untrusted::UntrustedError),
    /// The file is not UTF-8, not TOML, or has unknown or mistyped keys.
    #[error("{path} is not a valid dive-tool.toml: {message}")]
    Parse {
        /// The manifest file.
        path: PathBuf,
        /// The decoder's complaint, on one line.
        message: String,
    },
    /// The file parses but breaks a rule of §4: a path outside the package, a limit
    /// above the host cap, a secret without its `[secrets.NAME]` table, a per-tool
    /// policy that widens the package's, and so on.
    #[error("{path}: {message}")]
    Invalid {
        /// The manifest file.
        path: PathBuf,
        /// Which table or key is wrong, and why.
        message: String,
    },
}

/// The five domains of the DIVE pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Domain {
    /// Scholarly literature and its metadata (`academic`).
    Academic,
    /// Sequences, structures and other biological data (`biological`).
    Biological,
    /// Markets and company data (`financial`).
    Financial,
    /// Tools that fit no one domain: web search, browsing, code (`general`).
    General,
    /// Drugs and clinical data (`medical`).
    Medical,
}

impl Domain {
    /// Every domain, in the order of their names.
    pub const ALL: [Domain; 5] = [
        Domain::Academic,
        Domain::Biological,
        Domain::Financial,
        Domain::General,
        Domain::Medical,
    ];

    /// The lowercase name used in `dive-tool.toml` and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Domain::Academic => "academic",
            Domain::Biological => "biological",
            Domain::Financial => "financial",
            Domain::General => "general",
            Domain::Medical => "medical",
        }
    }
}

impl std::str::FromStr for Domain {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Domain::ALL
            .into_iter()
            .find(|d| d.as_str() == s)
            .ok_or_else(|| {
                format!("unknown domain '{s}': expected one of academic, biological, financial, general, medical")
            })
    }
}

impl std::fmt::Display for Domain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How the host injects one secret into outgoing requests. Exactly one of
/// `header`, `placeholder`, `query` is set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretRule {
    /// Send the secret as this request header (a valid header name), replacing any
    /// header of that name the guest set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header: Option<String>,
    /// Replace this text (non-empty) with the secret wherever the guest wrote it: URL,
    /// header values, body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placeholder: Option<String>,
    /// Add the secret as this query parameter (non-empty name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    /// Whether a call fails, before any request, when the host lacks the secret (or a
    /// community package was not granted it). Defaults to `true`; an optional secret
    /// is just not injected.
    #[serde(default = "yes")]
    pub required: bool,
}

fn yes() -> bool {
    true
}

/// Where a secret goes, once validated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Injection {
    /// As the request header of this name.
    Header(String),
    /// In place of this text, in the URL, header values and body.
    Placeholder(String),
    /// As the query parameter of this name.
    Query(String),
}

impl SecretRule {
    /// The one injection this rule sets. Only meaningful on a rule from a parsed
    /// [`Manifest`], where exactly one of the three is set.
    pub fn injection(&self) -> Injection {
        // validated at parse time: exactly one is set
        if let Some(h) = &self.header {
            Injection::Header(h.clone())
        } else if let Some(p) = &self.placeholder {
            Injection::Placeholder(p.clone())
        } else {
            Injection::Query(self.query.clone().unwrap_or_default())
        }
    }
}

/// The effective capability policy of one tool: what its sandbox may do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Policy {
    /// Origins the tool may send HTTP requests to; empty means no network.
    pub network: Vec<OriginPattern>,
    /// Package-relative directories (`/`-separated, no `..`), each mounted read-only in
    /// the guest at `/<dir>`.
    pub files: Vec<String>,
    /// Names of the host secrets the tool may use; each has a `[secrets.NAME]` rule in
    /// the manifest.
    pub secrets: Vec<String>,
    /// Wall-clock limit of one call, in milliseconds (1 to [`MAX_TIMEOUT_MS`]).
    pub timeout_ms: u64,
    /// Guest memory limit, in MiB (1 to [`MAX_MEMORY_MIB`]).
    pub memory_mib: u64,
    /// Largest result, in bytes of its JSON text (at least 1).
    pub max_output_bytes: u64,
    /// Most HTTP requests one call may make.
    pub max_http_requests: u32,
    /// Largest body of one HTTP response, in bytes.
    pub max_response_bytes: u64,
}

impl Policy {
    /// `memory_mib` in bytes.
    pub fn memory_bytes(&self) -> usize {
        (self.memory_mib as usize).saturating_mul(1 << 20)
    }
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            network: Vec::new(),
            files: Vec::new(),
            secrets: Vec::new(),
            timeout_ms: 15_000,
            memory_mib: 64,
            max_output_bytes: 1_048_576,
            max_http_requests: 16,
            max_response_bytes: 8_388_608,
        }
    }
}

/// Upper bounds no manifest may exceed; they keep one call from starving the host
/// (ARCHITECTURE.md §9; all host caps are in [`crate::untrusted::caps`]).
pub const MAX_TIMEOUT_MS: u64 = caps::TIMEOUT_MS;
/// The highest `memory_mib` a manifest may set (the host cap, ARCHITECTURE.md §9).
pub const MAX_MEMORY_MIB: u64 = caps::MEMORY_MIB;

/// The `[policy]` table as written; every field optional.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    network: Option<Vec<String>>,
    files: Option<Vec<String>>,
    secrets: Option<Vec<String>>,
    timeout_ms: Option<u64>,
    memory_mib: Option<u64>,
    max_output_bytes: Option<u64>,
    max_http_requests: Option<u32>,
    max_response_bytes: Option<u64>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawToolSection {
    #[serde(default)]
    policy: RawPolicy,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawManifest {
    component: String,
    domain: Domain,
    #[serde(default)]
    policy: RawPolicy,
    #[serde(default)]
    secrets: BTreeMap<String, SecretRule>,
    #[serde(default)]
    tools: BTreeMap<String, RawToolSection>,
}

/// A parsed, validated manifest.
#[derive(Debug, Clone)]
pub struct Manifest {
    /// The manifest file itself.
    pub path: PathBuf,
    /// The package directory (the manifest's parent).
    pub dir: PathBuf,
    /// Absolute path of the component.
    pub component: PathBuf,
    /// The domain the package's tools are listed under.
    pub domain: Domain,
    /// The package-wide policy.
    pub policy: Policy,
    /// How each granted secret is injected, by secret name; exactly the names in
    /// `policy.secrets`.
    pub secrets: BTreeMap<String, SecretRule>,
    /// Per-tool narrowed policies, already checked never to widen the package policy.
    pub tool_policies: BTreeMap<String, Policy>,
    /// The package directory with every symlink resolved, when [`Manifest::load`] worked
    /// it out (resolving a path costs a system call per component of it, and a pool of
    /// packages asks for it several times each).
    real_dir: Option<PathBuf>,
}

impl Manifest {
    /// Read and validate `DIR/dive-tool.toml`.
    pub fn load(dir: &Path) -> Result<Manifest, ManifestError> {
        Manifest::load_digested(dir).map(|(m, _)| m)
    }

    /// [`Manifest::load`], with the BLAKE3 of the manifest's bytes (what the pool index
    /// is keyed by).
    pub fn load_digested(dir: &Path) -> Result<(Manifest, blake3::Hash), ManifestError> {
        let path = dir.join(MANIFEST_FILE);
        let real_dir = dir.canonicalize().map_err(|source| untrusted::UntrustedError::Io { path: dir.to_path_buf(), source })?;
        // A symlink may point within the package, never out of it.
        let real = untrusted::inside_real(&real_dir, &path)?;
        let bytes = untrusted::read_bounded(&real, caps::MANIFEST_BYTES, "the manifest size cap", Follow::No)?;
        let digest = blake3::hash(&bytes);
        let text = String::from_utf8(bytes).map_err(|_| ManifestError::Parse {
            path: path.clone(),
            message: "it is not UTF-8 text".into(),
        })?;
        let mut manifest = Manifest::parse(&text, &path)?;
        manifest.real_dir = Some(real_dir);
        Ok((manifest, digest))
    }

    /// The package directory with every symlink resolved.
    pub fn real_dir(&self) -> std::io::Result<PathBuf> {
        match &self.real_dir {
            Some(d) => Ok(d.clone()),
            None => self.dir.canonicalize(),
        }
    }

    /// Validate manifest text as if it were at `path`.
    pub fn parse(text: &str, path: &Path) -> Result<Manifest, ManifestError> {
        let raw: RawManifest = toml::from_str(text).map_err(|e| ManifestError::Parse {
            path: path.to_path_buf(),
            message: e.to_string().trim_end().replace('\n', " "),
        })?;
        let invalid = |message: String| ManifestError::Invalid {
            path: path.to_path_buf(),
            message,
        };
        check_section_counts(&raw).map_err(invalid)?;
        let dir = path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));

        let component_rel = package_relative(&raw.component)
            .map_err(|m| invalid(format!("component = \"{}\": {m}", raw.component)))?;

        let policy = resolve_policy(&raw.policy, &Policy::default())
            .map_err(|m| invalid(format!("[policy]: {m}")))?;

        for (name, rule) in &raw.secrets {
            check_secret_name(name).map_err(|m| invalid(format!("[secrets.{name}]: {m}")))?;
            let set = [&rule.header, &rule.placeholder, &rule.query]
                .iter()
                .filter(|o| o.is_some())
                .count();
            if set != 1 {
                return Err(invalid(format!(
                    "[secrets.{name}] must set exactly one of header, placeholder, query (it sets {set})"
                )));
            }
            if let Some(h) = &rule.header {
                http::HeaderName::from_bytes(h.as_bytes()).map_err(|_| {
                    invalid(format!("[secrets.{name}] header \"{h}\" is not a valid HTTP header name"))
                })?;
            }
            if rule.placeholder.as_deref() == Some("") || rule.query.as_deref() == Some("") {
                return Err(invalid(format!("[secrets.{name}] placeholder/query must not be empty")));
            }
            if !policy.secrets.contains(name) {
                return Err(invalid(format!(
                    "[secrets.{name}] describes a secret that [policy] secrets does not grant; add \"{name}\" to secrets"
                )));
            }
        }
        for name in &policy.secrets {
            if !raw.secrets.contains_key(name) {
                return Err(invalid(format!(
                    "[policy] grants secret \"{name}\" but there is no [secrets.{name}] table saying how to inject it"
                )));
            }
        }

        let mut tool_policies = BTreeMap::new();
        for (tool, section) in &raw.tools {
            let narrowed = resolve_policy(&section.policy, &policy)
                .map_err(|m| invalid(format!("[tools.{tool}.policy]: {m}")))?;
            check_narrowing(&policy, &narrowed)
                .map_err(|m| invalid(format!("[tools.{tool}.policy] widens the package policy: {m}")))?;
            tool_policies.insert(tool.clone(), narrowed);
        }

        Ok(Manifest {
            path: path.to_path_buf(),
            component: dir.join(component_rel),
            dir,
            domain: raw.domain,
            policy,
            secrets: raw.secrets,
            tool_policies,
            real_dir: None,
        })
    }

    /// The policy that applies to `tool`.
    pub fn policy_for(&self, tool: &str) -> &Policy {
        self.tool_policies.get(tool).unwrap_or(&self.policy)
    }
}

/// How many `[tools.*]` and `[secrets.*]` tables a manifest may have: each becomes a
/// policy kept per tool, so their number is bounded like the file's size.
fn check_section_counts(raw: &RawManifest) -> Result<(), String> {
    for (what, n) in [("[tools.*] sections", raw.tools.len()), ("[secrets.*] tables", raw.secrets.len())] {
        if n > caps::MANIFEST_SECTIONS {
            return Err(format!("it has {n} {what}; at most {} are allowed", caps::MANIFEST_SECTIONS));
        }
    }
    Ok(())
}

/// A policy list (`network`, `files`, `secrets`) of at most [`caps::POLICY_LIST_LEN`].
fn check_list_len(name: &str, list: &Option<Vec<String>>) -> Result<(), String> {
    match list {
        Some(l) if l.len() > caps::POLICY_LIST_LEN => Err(format!(
            "{name} has {} entries; at most {} are allowed",
            l.len(),
            caps::POLICY_LIST_LEN
        )),
        _ => Ok(()),
    }
}

fn check_secret_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit());
    if ok {
        Ok(())
    } else {
        Err("secret names are environment-variable style: A-Z, 0-9 and _, not starting with a digit".into())
    }
}

/// A path inside the package: relative, no `..`, no root.
fn package_relative(p: &str) -> Result<PathBuf, String> {
    if p.is_empty() {
        return Err("must not be empty".into());
    }
    let path = Path::new(p);
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::Normal(s) => out.push(s),
            Component::CurDir => {}
            Component::ParentDir => return Err("must stay inside the package (no '..')".into()),
            Component::RootDir | Component::Prefix(_) => {
                return Err("must be relative to the package directory".into())
            }
        }
    }
    if out.as_os_str().is_empty() {
        return Err("must name something inside the package".into());
    }
    Ok(out)
}

fn resolve_policy(raw: &RawPolicy, base: &Policy) -> Result<Policy, String> {
    check_list_len("network", &raw.network)?;
    check_list_len("files", &raw.files)?;
    check_list_len("secrets", &raw.secrets)?;
    let network = match &raw.network {
        Some(list) => list
            .iter()
            .map(|s| OriginPattern::parse(s))
            .collect::<Result<Vec<_>, _>>()?,
        None => base.network.clone(),
    };
    let files = match &raw.files {
        Some(list) => list
            .iter()
            .map(|f| {
                package_relative(f)
                    .map(|p| p.to_string_lossy().replace('\\', "/"))
                    .map_err(|m| format!("files entry \"{f}\" {m}"))
            })
            .collect::<Result<Vec<_>, _>>()?,
        None => base.files.clone(),
    };
    let secrets = raw.secrets.clone().unwrap_or_else(|| base.secrets.clone());
    for s in &secrets {
        check_secret_name(s).map_err(|m| format!("secret \"{s}\": {m}"))?;
    }
    let p = Policy {
        network,
        files,
        secrets,
        timeout_ms: raw.timeout_ms.unwrap_or(base.timeout_ms),
        memory_mib: raw.memory_mib.unwrap_or(base.memory_mib),
        max_output_bytes: raw.max_output_bytes.unwrap_or(base.max_output_bytes),
        max_http_requests: raw.max_http_requests.unwrap_or(base.max_http_requests),
        max_response_bytes: raw.max_response_bytes.unwrap_or(base.max_response_bytes),
    };
    check_caps(&p)?;
    Ok(p)
}

/// The host caps (ARCHITECTURE.md §9) that no manifest can raise.
fn check_caps(p: &Policy) -> Result<(), String> {
    if p.timeout_ms == 0 || p.timeout_ms > MAX_TIMEOUT_MS {
        return Err(format!("timeout_ms must be between 1 and {MAX_TIMEOUT_MS} (the host cap)"));
    }
    if p.memory_mib == 0 || p.memory_mib > MAX_MEMORY_MIB {
        return Err(format!("memory_mib must be between 1 and {MAX_MEMORY_MIB} (the host cap)"));
    }
    if p.max_output_bytes == 0 || p.max_output_bytes > caps::OUTPUT_BYTES {
        return Err(format!("max_output_bytes must be between 1 and {} (the host cap)", caps::OUTPUT_BYTES));
    }
    if p.max_response_bytes > caps::RESPONSE_BYTES {
        return Err(format!("max_response_bytes must be at most {} (the host cap)", caps::RESPONSE_BYTES));
    }
    if p.max_http_requests > caps::HTTP_REQUESTS {
        return Err(format!("max_http_requests must be at most {} (the host cap)", caps::HTTP_REQUESTS));
    }
    Ok(())
}

/// A per-tool policy may only narrow: every origin, dir and secret must be granted by
/// the package policy, and every limit must be no higher.
fn check_narrowing(pkg: &Policy, tool: &Policy) -> Result<(), String> {
    for o in &tool.network {
        if !pkg.network.iter().any(|p| p.covers(o)) {
            return Err(format!("origin \"{o}\" is not allowed by the package"));
        }
    }
    for f in &tool.files {
        if !pkg.files.contains(f) {
            return Err(format!("files entry \"{f}\" is not granted by the package"));
        }
    }
    for s in &tool.secrets {
        if !pkg.secrets.contains(s) {
            return Err(format!("secret \"{s}\" is not granted by the package"));
        }
    }
    let limits = [
        ("timeout_ms", tool.timeout_ms, pkg.timeout_ms),
        ("memory_mib", tool.memory_mib, pkg.memory_mib),
        ("max_output_bytes", tool.max_output_bytes, pkg.max_output_bytes),
        (
            "max_http_requests",
            tool.max_http_requests as u64,
            pkg.max_http_requests as u64,
        ),
        ("max_response_bytes", tool.max_response_bytes, pkg.max_response_bytes),
    ];
    for (name, t, p) in limits {
        if t > p {
            return Err(format!("{name} = {t} is above the package's {p}"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Manifest, ManifestError> {
        Manifest::parse(text, Path::new("/pkg/dive-tool.toml"))
    }

    #[test]
    fn full_example_parses() {
        let m = parse(
            r#"
component = "rxnav.wasm"
domain = "medical"
[policy]
network = ["https://rxnav.nlm.nih.gov"]
files = ["data"]
secrets = ["EXAMPLE_KEY"]
timeout_ms = 15000
memory_mib = 64
max_output_bytes = 1048576
max_http_requests = 16
max_response_bytes = 8388608
[secrets.EXAMPLE_KEY]
header = "x-api-key"
required = false
[tools.some_tool.policy]
network = []
"#,
        )
        .unwrap();
        assert_eq!(m.component, Path::new("/pkg/rxnav.wasm"));
        assert_eq!(m.domain, Domain::Medical);
        assert_eq!(m.policy.network.len(), 1);
        assert_eq!(m.policy.files, vec!["data".to_string()]);
        assert!(!m.secrets["EXAMPLE_KEY"].required);
        assert!(m.policy_for("some_tool").network.is_empty());
        assert_eq!(m.policy_for("other").network.len(), 1);
    }

    #[test]
    fn defaults_apply() {
        let m = parse("component = \"a.wasm\"\ndomain = \"general\"\n").unwrap();
        assert_eq!(m.policy, Policy::default());
    }

    #[test]
    fn rejects_with_a_reason() {
        let cases = [
            ("component = \"../a.wasm\"\ndomain = \"general\"", "inside the package"),
            ("component = \"/a.wasm\"\ndomain = \"general\"", "relative"),
            ("component = \"a.wasm\"\ndomain = \"space\"", "domain"),
            ("component = \"a.wasm\"\ndomain = \"general\"\ncolor = 1", "color"),
            (
                "component = \"a.wasm\"\ndomain = \"general\"\n[policy]\nfiles = [\"../etc\"]",
                "inside the package",
            ),
            (
                "component = \"a.wasm\"\ndomain = \"general\"\n[policy]\nnetwork = [\"ftp://x.org\"]",
                "scheme",
            ),
            (
                "component = \"a.wasm\"\ndomain = \"general\"\n[policy]\nsecrets = [\"K\"]",
                "[secrets.K]",
            ),
            (
                "component = \"a.wasm\"\ndomain = \"general\"\n[policy]\nsecrets = [\"K\"]\n[secrets.K]\nheader = \"x\"\nquery = \"k\"",
                "exactly one",
            ),
            (
                "component = \"a.wasm\"\ndomain = \"general\"\n[policy]\nnetwork = [\"https://a.org\"]\n[tools.t.policy]\nnetwork = [\"https://b.org\"]",
                "widens",
            ),
            (
                "component = \"a.wasm\"\ndomain = \"general\"\n[tools.t.policy]\ntimeout_ms = 99999",
                "timeout_ms",
            ),
            ("component = \"a.wasm\"\ndomain = \"general\"\n[policy]\ntimeout_ms = 0", "timeout_ms"),
            ("not toml at all [", "not a valid"),
            (
                "component = \"a.wasm\"\ndomain = \"general\"\n[policy]\nmax_response_bytes = 3221225472",
                "max_response_bytes must be at most 67108864",
            ),
            (
                "component = \"a.wasm\"\ndomain = \"general\"\n[policy]\nmax_output_bytes = 67108865",
                "max_output_bytes",
            ),
            (
                "component = \"a.wasm\"\ndomain = \"general\"\n[policy]\nmax_http_requests = 1025",
                "max_http_requests",
            ),
            ("component = \"a.wasm\"\ndomain = \"general\"\n[policy]\nmemory_mib = 4097", "memory_mib"),
        ];
        for (text, needle) in cases {
            let err = parse(text).unwrap_err().to_string();
            assert!(err.contains(needle), "{text:?}: {err}");
            assert!(err.contains("/pkg/dive-tool.toml"), "error names the file: {err}");
        }
    }

    #[test]
    fn long_lists_and_many_sections_are_refused() {
        let origins: Vec<String> = (0..300).map(|i| format!("\"https://h{i}.org\"")).collect();
        let text = format!("component = \"a.wasm\"\ndomain = \"general\"\n[policy]\nnetwork = [{}]", origins.join(","));
        let err = parse(&text).unwrap_err().to_string();
        assert!(err.contains("network has 300 entries; at most 256"), "{err}");
        let tools: String = (0..1100).map(|i| format!("[tools.t{i}.policy]\n")).collect();
        let text = format!("component = \"a.wasm\"\ndomain = \"general\"\n{tools}");
        let err = parse(&text).unwrap_err().to_string();
        assert!(err.contains("1100 [tools.*] sections"), "{err}");
    }

    #[test]
    fn manifests_are_read_bounded_and_only_from_regular_files() {
        let dir = tempfile::tempdir().unwrap();
        let big = format!("component = \"a.wasm\"\ndomain = \"general\"\n#{}\n", "x".repeat(1 << 20));
        std::fs::write(dir.path().join(MANIFEST_FILE), big).unwrap();
        let err = Manifest::load(dir.path()).unwrap_err().to_string();
        assert!(err.contains("at most 1048576"), "{err}");
        std::fs::remove_file(dir.path().join(MANIFEST_FILE)).unwrap();
        std::os::unix::fs::symlink("/dev/zero", dir.path().join(MANIFEST_FILE)).unwrap();
        let err = Manifest::load(dir.path()).unwrap_err().to_string();
        assert!(err.contains("leads outside"), "{err}");
        std::fs::remove_file(dir.path().join(MANIFEST_FILE)).unwrap();
        std::fs::create_dir(dir.path().join(MANIFEST_FILE)).unwrap();
        let err = Manifest::load(dir.path()).unwrap_err().to_string();
        assert!(err.contains("not a regular file (it is a directory)"), "{err}");
    }
}
