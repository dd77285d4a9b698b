//! Configuration: every `DIVE_*` environment variable, read in one place
//! ([`DiveEnv::from_env`]) into typed values, and the host-wide network settings. The
//! library never reads the environment elsewhere; the CLI lays its flags over a
//! [`DiveEnv`] (a flag wins over its variable), and an embedder builds one itself.

use dive_policy::origin::Origin;
use std::ffi::OsString;
use std::path::PathBuf;

/// Every `DIVE_*` variable dive reads, with what it does (for `dive help`-style listings
/// and the test that no other variable is read).
pub const VARIABLES: &[(&str, &str)] = &[
    ("DIVE_STORE", "the evidence store (--store): a directory or s3://BUCKET/PREFIX"),
    ("DIVE_CACHE_DIR", "dive's cache dir (compiled components, the pool index, S3 blob caches); empty: no cache"),
    ("DIVE_TOOLS", "more community tool sources (colon-separated), after --tools"),
    ("DIVE_BUILTIN_TOOLS", "where the built-in pool is (empty: none); default: found from the executable"),
    ("DIVE_GRANTS", "more PACKAGE:SECRET grants (comma-separated), after --grant"),
    ("DIVE_UPSTREAM", "more ORIGIN=URL mappings (comma-separated), after --upstream"),
    ("DIVE_RATE", "more ORIGIN=N politeness rates (comma-separated), after --rate"),
    ("DIVE_ALLOW_PRIVATE_NETWORK", "1/true/yes: as --allow-private-network"),
    ("DIVE_LOCKED", "the lock file (--locked)"),
    ("DIVE_READY_INSTANCES", "instances each called package keeps ready (0..=16, default 2)"),
    ("DIVE_PERFMAP", "set: write a perf map naming guest functions (profiling)"),
    ("DIVE_LLM_BASE_URL", "the LLM endpoint of the LLM evidence policy and rephrasing (--llm-base-url)"),
    ("DIVE_LLM_MODEL", "the LLM's model name (--llm-model)"),
    ("DIVE_LOG", "a tracing filter for the log on stderr (overrides -v)"),
    ("DIVE_SDK_DIR", "where dive-tool-sdk is, for `dive tool new --lang rust`"),
    ("DIVE_COMPONENTIZE_PY", "the componentize-py program, for `dive tool build`"),
    ("DIVE_COMPONENTIZE_JS", "the componentize-js program, for `dive tool build`"),
];

/// Instances a package keeps ready once it has been called twice, by default.
pub const READY_PER_PACKAGE: usize = 2;
/// The most `DIVE_READY_INSTANCES` may ask for.
pub const MAX_READY_PER_PACKAGE: usize = 16;

/// Where the built-in pool comes from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum BuiltinTools {
    /// Found from the executable (an install, or a build tree).
    #[default]
    BesideTheExecutable,
    /// No built-in pool (`DIVE_BUILTIN_TOOLS=`).
    None,
    /// This directory.
    At(PathBuf),
}

/// The values of the `DIVE_*` variables (and of the `XDG_CACHE_HOME`/`HOME` fallback of
/// the cache dir), typed. Unset and empty variables are absent.
#[derive(Debug, Clone, Default)]
pub struct DiveEnv {
    /// `DIVE_STORE`.
    pub store: Option<PathBuf>,
    /// `DIVE_CACHE_DIR`, else `$XDG_CACHE_HOME/dive`, else `~/.cache/dive`; None when
    /// `DIVE_CACHE_DIR` is set and empty (no cache) or there is no home.
    pub cache_dir: Option<PathBuf>,
    /// `DIVE_TOOLS`, split.
    pub tools: Vec<PathBuf>,
    /// `DIVE_BUILTIN_TOOLS`.
    pub builtin_tools: BuiltinTools,
    /// `DIVE_GRANTS`, split (unparsed: the CLI reports a bad one as its own).
    pub grants: Vec<String>,
    /// `DIVE_UPSTREAM`, split.
    pub upstreams: Vec<String>,
    /// `DIVE_RATE`, split.
    pub rates: Vec<String>,
    /// `DIVE_ALLOW_PRIVATE_NETWORK`.
    pub allow_private_network: bool,
    /// `DIVE_LOCKED`.
    pub locked: Option<PathBuf>,
    /// `DIVE_READY_INSTANCES` (clamped to [`MAX_READY_PER_PACKAGE`]), else
    /// [`READY_PER_PACKAGE`]; a value that is not a number is reported in `problems`.
    pub ready_instances: usize,
    /// `DIVE_PERFMAP` is set.
    pub perfmap: bool,
    /// `DIVE_LLM_BASE_URL`.
    pub llm_base_url: Option<String>,
    /// `DIVE_LLM_MODEL`.
    pub llm_model: Option<String>,
    /// `DIVE_LOG`.
    pub log: Option<String>,
    /// `DIVE_SDK_DIR`.
    pub sdk_dir: Option<PathBuf>,
    /// `DIVE_COMPONENTIZE_PY`.
    pub componentize_py: Option<OsString>,
    /// `DIVE_COMPONENTIZE_JS`.
    pub componentize_js: Option<OsString>,
    /// Values that could not be used, explained (the CLI warns about them).
    pub problems: Vec<String>,
}

impl DiveEnv {
    /// The process environment's values.
    pub fn from_env() -> DiveEnv {
        DiveEnv::from_vars(std::env::vars_os())
    }

    /// The values of these variables (name, value), as if they were the environment.
    pub fn from_vars(vars: impl IntoIterator<Item = (OsString, OsString)>) -> DiveEnv {
        let all: std::collections::HashMap<OsString, OsString> = vars.into_iter().collect();
        let raw = |name: &str| all.get(std::ffi::OsStr::new(name)).cloned();
        let set = |name: &str| raw(name).filter(|v| !v.is_empty());
        let text = |name: &str| set(name).map(|v| v.to_string_lossy().into_owned());
        let list = |name: &str| text(name).map(|v| split_list(&v)).unwrap_or_default();
        let mut problems = Vec::new();
        DiveEnv {
            store: set("DIVE_STORE").map(PathBuf::from),
            cache_dir: cache_dir(raw("DIVE_CACHE_DIR"), set("XDG_CACHE_HOME"), set("HOME")),
            tools: set("DIVE_TOOLS").map(|v| std::env::split_paths(&v).filter(|p| !p.as_os_str().is_empty()).collect()).unwrap_or_default(),
            builtin_tools: match raw("DIVE_BUILTIN_TOOLS") {
                None => BuiltinTools::BesideTheExecutable,
                Some(v) if v.is_empty() => BuiltinTools::None,
                Some(v) => BuiltinTools::At(PathBuf::from(v)),
            },
            grants: list("DIVE_GRANTS"),
            upstreams: list("DIVE_UPSTREAM"),
            rates: list("DIVE_RATE"),
            allow_private_network: text("DIVE_ALLOW_PRIVATE_NETWORK").is_some_and(|v| matches!(v.as_str(), "1" | "true" | "yes")),
            locked: set("DIVE_LOCKED").map(PathBuf::from),
            ready_instances: ready_instances(text("DIVE_READY_INSTANCES"), &mut problems),
            perfmap: raw("DIVE_PERFMAP").is_some(),
            llm_base_url: text("DIVE_LLM_BASE_URL"),
            llm_model: text("DIVE_LLM_MODEL"),
            log: text("DIVE_LOG"),
            sdk_dir: set("DIVE_SDK_DIR").map(PathBuf::from),
            componentize_py: set("DIVE_COMPONENTIZE_PY"),
            componentize_js: set("DIVE_COMPONENTIZE_JS"),
            problems,
        }
    }

    /// Where object stores keep their local blob caches: `s3/` in the cache dir, else
    /// the temp dir.
    pub fn s3_cache_root(&self) -> PathBuf {
        match &self.cache_dir {
            Some(d) => d.join("s3"),
            None => std::env::temp_dir().join("dive-s3-cache"),
        }
    }
}

/// A comma-separated list, blanks dropped.
fn split_list(v: &str) -> Vec<String> {
    v.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect()
}

/// `DIVE_CACHE_DIR` (empty: none), else `$XDG_CACHE_HOME/dive`, else `~/.cache/dive`.
fn cache_dir(dive: Option<OsString>, xdg: Option<OsString>, home: Option<OsString>) -> Option<PathBuf> {
    match dive {
        Some(d) if d.is_empty() => None,
        Some(d) => Some(PathBuf::from(d)),
        None => xdg.map(|d| PathBuf::from(d).join("dive")).or_else(|| home.map(|h| PathBuf::from(h).join(".cache").join("dive"))),
    }
}

/// `DIVE_READY_INSTANCES`, clamped; the default when unset or not a number.
fn ready_instances(v: Option<String>, problems: &mut Vec<String>) -> usize {
    let Some(v) = v else { return READY_PER_PACKAGE };
    match v.trim().parse::<usize>() {
        Ok(n) => n.min(MAX_READY_PER_PACKAGE),
        Err(_) => {
            problems.push(format!(
                "DIVE_READY_INSTANCES={v:?} is not a number of instances (0..={MAX_READY_PER_PACKAGE}); using {READY_PER_PACKAGE}"
            ));
            READY_PER_PACKAGE
        }
    }
}

/// Host-wide network settings.
#[derive(Debug, Clone, Default)]
pub struct NetworkConfig {
    /// `--upstream ORIGIN=URL`: requests to ORIGIN go to URL instead.
    pub upstreams: Vec<(Origin, url::Url)>,
    /// `--allow-private-network`.
    pub allow_private: bool,
    /// `--rate ORIGIN=N`: at most N requests per second to ORIGIN from this process
    /// (politeness), on top of the built-in defaults
    /// ([`crate::transport::pacing::default_rates`]).
    pub rates: Vec<(Origin, f64)>,
}

impl NetworkConfig {
    /// The settings of these `ORIGIN=URL` and `ORIGIN=N` texts (flags, then the
    /// environment's), or what is wrong with the first bad one.
    pub fn parse<'a>(
        upstreams: impl IntoIterator<Item = &'a str>,
        rates: impl IntoIterator<Item = &'a str>,
        allow_private: bool,
    ) -> Result<NetworkConfig, String> {
        let nonblank = |s: &&str| !s.trim().is_empty();
        Ok(NetworkConfig {
            upstreams: upstreams.into_iter().filter(nonblank).map(|s| parse_upstream(s.trim())).collect::<Result<_, _>>()?,
            rates: rates.into_iter().filter(nonblank).map(|s| parse_rate(s.trim())).collect::<Result<_, _>>()?,
            allow_private,
        })
    }
}

/// One `ORIGIN=N` rate (requests per second, > 0).
pub fn parse_rate(spec: &str) -> Result<(Origin, f64), String> {
    let (o, n) = spec
        .rsplit_once('=')
        .ok_or_else(|| format!("--rate '{spec}' must be ORIGIN=REQUESTS_PER_SECOND, e.g. https://eutils.ncbi.nlm.nih.gov=3"))?;
    let ou = url::Url::parse(o.trim()).map_err(|e| format!("--rate origin '{o}': {e}"))?;
    let origin = Origin::of_url(&ou).map_err(|e| format!("--rate origin '{o}': {e}"))?;
    let n: f64 = n.trim().parse().map_err(|_| format!("--rate '{spec}': '{n}' is not a number"))?;
    if !(n > 0.0 && n.is_finite()) {
        return Err(format!("--rate '{spec}': the rate must be a positive number of requests per second"));
    }
    Ok((origin, n))
}

/// One `ORIGIN=URL` mapping.
pub fn parse_upstream(spec: &str) -> Result<(Origin, url::Url), String> {
    let (o, u) = spec
        .split_once('=')
        .ok_or_else(|| format!("--upstream '{spec}' must be ORIGIN=URL, e.g. https://rxnav.nlm.nih.gov=http://127.0.0.1:8080"))?;
    let ou = url::Url::parse(o.trim()).map_err(|e| format!("--upstream origin '{o}': {e}"))?;
    if ou.path() != "/" || ou.query().is_some() {
        return Err(format!("--upstream origin '{o}' must be scheme://host[:port] without a path"));
    }
    let origin = Origin::of_url(&ou).map_err(|e| format!("--upstream origin '{o}': {e}"))?;
    let target = url::Url::parse(u.trim()).map_err(|e| format!("--upstream target '{u}': {e}"))?;
    Origin::of_url(&target).map_err(|e| format!("--upstream target '{u}': {e}"))?;
    Ok((origin, target))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> DiveEnv {
        DiveEnv::from_vars(pairs.iter().map(|(k, v)| (OsString::from(k), OsString::from(v))))
    }

    #[test]
    fn variables_are_read_typed_and_blank_ones_are_absent() {
        let e = env(&[
            ("DIVE_STORE", "/s"),
            ("DIVE_TOOLS", "/a::/b"),
            ("DIVE_GRANTS", "p:K, ,q:L"),
            ("DIVE_ALLOW_PRIVATE_NETWORK", "yes"),
            ("DIVE_READY_INSTANCES", "99"),
            ("DIVE_BUILTIN_TOOLS", ""),
            ("DIVE_LLM_MODEL", ""),
            ("HOME", "/home/u"),
        ]);
        assert_eq!(e.store, Some(PathBuf::from("/s")));
        assert_eq!(e.tools, vec![PathBuf::from("/a"), PathBuf::from("/b")]);
        assert_eq!(e.grants, vec!["p:K", "q:L"]);
        assert!(e.allow_private_network);
        assert_eq!(e.ready_instances, MAX_READY_PER_PACKAGE);
        assert_eq!(e.builtin_tools, BuiltinTools::None);
        assert_eq!(e.llm_model, None);
        assert_eq!(e.cache_dir, Some(PathBuf::from("/home/u/.cache/dive")));
        assert!(e.problems.is_empty());

        let e = env(&[("DIVE_CACHE_DIR", ""), ("HOME", "/home/u"), ("DIVE_READY_INSTANCES", "many")]);
        assert_eq!(e.cache_dir, None, "an empty DIVE_CACHE_DIR turns the cache off");
        assert_eq!(e.ready_instances, READY_PER_PACKAGE);
        assert!(e.problems[0].contains("DIVE_READY_INSTANCES=\"many\""), "{:?}", e.problems);
        assert_eq!(env(&[("XDG_CACHE_HOME", "/x")]).cache_dir, Some(PathBuf::from("/x/dive")));
    }

    #[test]
    fn network_settings_parse_or_say_what_is_wrong() {
        let n = NetworkConfig::parse(["https://a.org=http://127.0.0.1:9/m", " "], ["https://a.org=4"], true).unwrap();
        assert_eq!(n.upstreams[0].0.to_string(), "https://a.org");
        assert_eq!(n.rates[0].1, 4.0);
        assert!(NetworkConfig::parse(["no-equals"], [], false).unwrap_err().contains("must be ORIGIN=URL"));
        assert!(parse_upstream("https://a.org/path=http://x").is_err());
        assert!(parse_rate("https://x.org=0").is_err());
        assert!(parse_rate("https://x.org=fast").is_err());
    }

    #[test]
    fn every_variable_the_sources_name_is_listed() {
        let listed: Vec<&str> = VARIABLES.iter().map(|(name, _)| *name).collect();
        let src = include_str!("config.rs");
        let read = src.split('"').filter(|s| s.len() > 5 && s.starts_with("DIVE_") && s.bytes().all(|b| b.is_ascii_uppercase() || b == b'_'));
        for name in read {
            assert!(listed.contains(&name), "{name} is read but not listed in VARIABLES");
        }
    }
}
