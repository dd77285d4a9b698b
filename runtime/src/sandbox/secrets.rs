//! Secrets: read by the host (environment or `--secrets FILE`), added by the host to
//! outgoing requests, scrubbed from responses. A secret value never enters guest memory,
//! a trace, a log line or an error message.

use crate::manifest::{Injection, Manifest};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use thiserror::Error;

/// Why secrets could not be read, or a call cannot have a secret it requires. No
/// variant holds a secret value.
#[derive(Debug, Error)]
pub enum SecretsError {
    /// The secrets file could not be read (missing, not a regular file, over 1 MiB,
    /// not UTF-8).
    #[error("secrets file: {0}")]
    Untrusted(#[from] crate::untrusted::UntrustedError),
    /// A line of the secrets file is not `NAME=VALUE`.
    #[error("secrets file {path}, line {line}: {message}")]
    Syntax {
        /// The secrets file.
        path: String,
        /// The line number, from 1.
        line: usize,
        /// What is wrong with the line.
        message: String,
    },
    /// A required secret is in neither the environment nor the secrets file.
    #[error("tool '{tool}' needs the secret {name}, which this host does not have: set the environment variable {name} or add a line `{name}=...` to a file passed with --secrets FILE")]
    Missing {
        /// The tool called.
        tool: String,
        /// The secret's name.
        name: String,
    },
    /// A secret's value is too short to mask safely: every occurrence of a value is
    /// masked in responses, so a short one would mask ordinary text too.
    #[error("the secret {name} (for tool '{tool}') is {len} characters long: dive masks every occurrence of a secret's value in responses, traces and messages, so a value shorter than {min} characters would mask ordinary text too; set {name} to the full credential")]
    TooShort {
        /// The tool called.
        tool: String,
        /// The secret's name.
        name: String,
        /// The value's length, in characters.
        len: usize,
        /// The shortest value accepted ([`MIN_SECRET_CHARS`]).
        min: usize,
    },
    /// A community package requires a secret it was not granted (ARCHITECTURE.md §9).
    #[error("tool '{tool}' needs the secret {name}, which community package '{package}' has not been granted: if you trust it with {name}, pass --grant {package}:{name} (or DIVE_GRANTS={package}:{name})")]
    NotGranted {
        /// The tool called.
        tool: String,
        /// The package's name, as `--grant` spells it.
        package: String,
        /// The secret's name.
        name: String,
    },
}

/// The shortest secret value a call may use. A value is masked wherever it occurs in a
/// response ([`CallSecrets::scrub`]), so a value like `abc` would corrupt ordinary text;
/// 8 is the minimum CI systems that mask secrets in logs also require.
pub const MIN_SECRET_CHARS: usize = 8;

/// The host secrets the user granted to community packages: `--grant PACKAGE:SECRET`
/// (repeatable) and `DIVE_GRANTS` (comma-separated). ARCHITECTURE.md §9.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Grants(std::collections::BTreeSet<(String, String)>);

impl Grants {
    /// Parse `PACKAGE:SECRET` specs (blank ones are skipped).
    pub fn parse<'a>(specs: impl IntoIterator<Item = &'a str>) -> Result<Grants, String> {
        let mut out = std::collections::BTreeSet::new();
        for spec in specs.into_iter().map(str::trim).filter(|s| !s.is_empty()) {
            let (package, secret) = spec
                .split_once(':')
                .filter(|(p, s)| !p.is_empty() && !s.is_empty())
                .ok_or_else(|| format!("--grant {spec}: expected PACKAGE:SECRET, e.g. --grant my_tools:EXAMPLE_KEY"))?;
            out.insert((package.to_string(), secret.to_string()));
        }
        Ok(Grants(out))
    }

    /// Whether `package` was granted `secret`.
    pub fn allows(&self, package: &str, secret: &str) -> bool {
        self.0.contains(&(package.to_string(), secret.to_string()))
    }

    /// The secrets of `names` that a call of `tool` from `package` may get: all of them
    /// for the built-in pool; for a community package only the granted ones. A required
    /// secret that was not granted is an error, raised before any request; an optional
    /// one is just not sent.
    pub fn filter<'n>(
        &self,
        trust: crate::package::Trust,
        package: &str,
        manifest: &Manifest,
        tool: &str,
        names: &'n [String],
    ) -> Result<std::borrow::Cow<'n, [String]>, SecretsError> {
        // The common case (the built-in pool, or no secrets) borrows: no work per call.
        if trust == crate::package::Trust::Builtin || names.is_empty() {
            return Ok(std::borrow::Cow::Borrowed(names));
        }
        let mut out = Vec::new();
        for name in names {
            if self.allows(package, name) {
                out.push(name.clone());
            } else if manifest.secrets.get(name).is_some_and(|r| r.required) {
                return Err(SecretsError::NotGranted {
                    tool: tool.to_string(),
                    package: package.to_string(),
                    name: name.clone(),
                });
            }
        }
        Ok(std::borrow::Cow::Owned(out))
    }
}

/// Where the host looks up secret values.
#[derive(Clone, Default)]
pub struct SecretSource {
    from_file: BTreeMap<String, String>,
    /// Read the process environment too (off in tests that want full control).
    use_env: bool,
}

impl std::fmt::Debug for SecretSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // never print values
        f.debug_struct("SecretSource")
            .field("names_from_file", &self.from_file.keys().collect::<Vec<_>>())
            .field("use_env", &self.use_env)
            .finish()
    }
}

impl SecretSource {
    /// Secrets from the process environment only.
    pub fn from_env() -> Self {
        SecretSource {
            from_file: BTreeMap::new(),
            use_env: true,
        }
    }

    /// No secrets at all.
    pub fn none() -> Self {
        SecretSource::default()
    }

    /// Add explicit values (they win over the environment).
    pub fn with_values(mut self, values: impl IntoIterator<Item = (String, String)>) -> Self {
        self.from_file.extend(values);
        self
    }

    /// Add the `NAME=VALUE` lines of a secrets file (blank lines and `#` comments allowed).
    pub fn with_file(mut self, path: &Path) -> Result<Self, SecretsError> {
        let shown = path.display().to_string();
        let text = crate::untrusted::read_text_bounded(path, 1 << 20, "the secrets file cap")?;
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let line = line.strip_prefix("export ").unwrap_or(line);
            let Some((name, value)) = line.split_once('=') else {
                return Err(SecretsError::Syntax {
                    path: shown,
                    line: i + 1,
                    message: "expected NAME=VALUE".into(),
                });
            };
            let name = name.trim();
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(SecretsError::Syntax {
                    path: shown,
                    line: i + 1,
                    message: "the name must be letters, digits and _".into(),
                });
            }
            let value = value.trim();
            let value = value
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or(value);
            self.from_file.insert(name.to_string(), value.to_string());
        }
        Ok(self)
    }

    /// The value of secret `name`: an explicit value first, then (if enabled) the
    /// environment variable `name`; an empty value (`NAME=` in the file, or an empty
    /// variable) counts as unset.
    pub fn get(&self, name: &str) -> Option<String> {
        if let Some(v) = self.from_file.get(name).filter(|v| !v.is_empty()) {
            return Some(v.clone());
        }
        if self.use_env {
            if let Ok(v) = std::env::var(name) {
                if !v.is_empty() {
                    return Some(v);
                }
            }
        }
        None
    }

    /// The secrets one call of `tool` gets: every secret its policy grants that the host
    /// has. A required secret the host lacks is an error, raised before any request.
    pub fn resolve(
        &self,
        manifest: &Manifest,
        tool: &str,
        granted: &[String],
    ) -> Result<CallSecrets, SecretsError> {
        let mut out = Vec::new();
        for name in granted {
            let Some(rule) = manifest.secrets.get(name) else { continue };
            match self.get(name) {
                Some(value) if value.chars().count() < MIN_SECRET_CHARS => {
                    return Err(SecretsError::TooShort {
                        tool: tool.to_string(),
                        name: name.clone(),
                        len: value.chars().count(),
                        min: MIN_SECRET_CHARS,
                    })
                }
                Some(value) => out.push(ResolvedSecret {
                    name: name.clone(),
                    value,
                    injection: rule.injection(),
                }),
                None if rule.required => {
                    return Err(SecretsError::Missing {
                        tool: tool.to_string(),
                        name: name.clone(),
                    })
                }
                None => {}
            }
        }
        Ok(CallSecrets(Arc::new(out)))
    }
}

pub struct ResolvedSecret {
    pub name: String,
    pub value: String,
    pub injection: Injection,
}

/// The secrets of one call.
#[derive(Clone, Default)]
pub struct CallSecrets(Arc<Vec<ResolvedSecret>>);

impl std::fmt::Debug for CallSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.0.iter().map(|s| &s.name)).finish()
    }
}

impl CallSecrets {
    /// The call has no secrets.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The call's secrets (those the host has), in the order the policy names them.
    pub fn iter(&self) -> impl Iterator<Item = &ResolvedSecret> {
        self.0.iter()
    }

    /// Put the secrets into a request: headers, query parameters, placeholders in the URL
    /// and body. Returns the URL to send.
    pub fn inject(
        &self,
        url: &url::Url,
        headers: &mut Vec<(String, String)>,
        body: &mut Vec<u8>,
    ) -> url::Url {
        let mut url = url.clone();
        for s in self.iter() {
            match &s.injection {
                Injection::Header(h) => {
                    headers.retain(|(k, _)| !k.eq_ignore_ascii_case(h));
                    headers.push((h.clone(), s.value.clone()));
                }
                Injection::Query(q) => {
                    url.query_pairs_mut().append_pair(q, &s.value);
                }
                Injection::Placeholder(p) => {
                    let text = url.as_str();
                    if text.contains(p.as_str()) {
                        let replaced = text.replace(p.as_str(), &percent_encode(&s.value));
                        if let Ok(u) = url::Url::parse(&replaced) {
                            url = u;
                        }
                    }
                    // A placeholder written percent-encoded by the guest's URL builder.
                    let encoded = percent_encode(p);
                    if url.as_str().contains(&encoded) {
                        let replaced = url.as_str().replace(&encoded, &percent_encode(&s.value));
                        if let Ok(u) = url::Url::parse(&replaced) {
                            url = u;
                        }
                    }
                    if !body.is_empty() {
                        *body = replace_bytes(body, p.as_bytes(), s.value.as_bytes());
                    }
                    for (_, v) in headers.iter_mut() {
                        if v.contains(p.as_str()) {
                            *v = v.replace(p.as_str(), &s.value);
                        }
                    }
                }
            }
        }
        url
    }

    /// Replace every occurrence of a secret value (raw or percent-encoded) with
    /// `[secret NAME]`. A value shaped like an Authorization header (`Bearer sk-...`:
    /// a scheme word, one space, a credential of 8+ characters) has its credential
    /// masked on its own too, since a server may echo the token without the scheme.
    pub fn scrub(&self, bytes: &[u8]) -> Vec<u8> {
        let mut out = bytes.to_vec();
        for s in self.iter() {
            if s.value.is_empty() {
                continue;
            }
            let mask = format!("[secret {}]", s.name);
            let credential = s
                .value
                .split_once(' ')
                .filter(|(scheme, cred)| {
                    !scheme.is_empty() && scheme.chars().all(|c| c.is_ascii_alphabetic()) && cred.len() >= 8 && !cred.contains(' ')
                })
                .map(|(_, cred)| cred);
            for v in std::iter::once(s.value.as_str()).chain(credential) {
                out = replace_bytes(&out, v.as_bytes(), mask.as_bytes());
                let enc = percent_encode(v);
                if enc != v {
                    out = replace_bytes(&out, enc.as_bytes(), mask.as_bytes());
                }
            }
        }
        out
    }

    /// [`CallSecrets::scrub`] for text.
    pub fn scrub_str(&self, text: &str) -> String {
        if self.is_empty() {
            return text.to_string();
        }
        String::from_utf8_lossy(&self.scrub(text.as_bytes())).into_owned()
    }
}

fn percent_encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Replace all non-overlapping occurrences of `from` in `hay` with `to`.
pub fn replace_bytes(hay: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    if from.is_empty() || hay.len() < from.len() {
        return hay.to_vec();
    }
    let mut out = Vec::with_capacity(hay.len());
    let mut i = 0;
    while i < hay.len() {
        if hay[i..].starts_with(from) {
            out.extend_from_slice(to);
            i += from.len();
        } else {
            out.push(hay[i]);
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn secrets(inj: Injection) -> CallSecrets {
        CallSecrets(Arc::new(vec![ResolvedSecret {
            name: "K".into(),
            value: "s3cr3t/v@lue".into(),
            injection: inj,
        }]))
    }

    #[test]
    fn header_query_and_placeholder_injection() {
        let u = url::Url::parse("https://api.example.org/x?a=1").unwrap();
        let mut h = vec![("x-api-key".to_string(), "guest-value".to_string())];
        let mut b = Vec::new();
        let out = secrets(Injection::Header("X-Api-Key".into())).inject(&u, &mut h, &mut b);
        assert_eq!(out, u);
        assert_eq!(h, vec![("X-Api-Key".to_string(), "s3cr3t/v@lue".to_string())]);

        let mut h = vec![];
        let out = secrets(Injection::Query("api_key".into())).inject(&u, &mut h, &mut b);
        assert_eq!(out.as_str(), "https://api.example.org/x?a=1&api_key=s3cr3t%2Fv%40lue");

        let mut b = br#"{"token":"{{K}}","x":1}"#.to_vec();
        let u2 = url::Url::parse("https://api.example.org/q?t={{K}}").unwrap();
        let out = secrets(Injection::Placeholder("{{K}}".into())).inject(&u2, &mut h, &mut b);
        assert_eq!(b, br#"{"token":"s3cr3t/v@lue","x":1}"#.to_vec());
        assert!(out.as_str().contains("t=s3cr3t%2Fv%40lue"), "{out}");
    }

    #[test]
    fn scrub_removes_raw_and_encoded_forms() {
        let s = secrets(Injection::Header("x".into()));
        let out = s.scrub(b"echo: s3cr3t/v@lue and s3cr3t%2Fv%40lue!");
        assert_eq!(out, b"echo: [secret K] and [secret K]!".to_vec());
    }

    #[test]
    fn scrub_masks_the_token_of_an_authorization_value() {
        let s = CallSecrets(Arc::new(vec![ResolvedSecret {
            name: "AUTH".into(),
            value: "Bearer sk-abc/123456".into(),
            injection: Injection::Header("authorization".into()),
        }]));
        let out = s.scrub(b"got 'Bearer sk-abc/123456', token sk-abc/123456 or sk-abc%2F123456; Bearer alone");
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "got '[secret AUTH]', token [secret AUTH] or [secret AUTH]; Bearer alone"
        );
        // Short or multi-word tails are not treated as a credential.
        let s = CallSecrets(Arc::new(vec![ResolvedSecret {
            name: "P".into(),
            value: "open sesame now".into(),
            injection: Injection::Header("x".into()),
        }]));
        assert_eq!(s.scrub(b"sesame now"), b"sesame now".to_vec());
    }

    #[test]
    fn secrets_file_and_missing_required() {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        writeln!(f, "# comment\n\nA_KEY=abc\nexport B=\"quoted value\"").unwrap();
        let src = SecretSource::none().with_file(f.path()).unwrap();
        assert_eq!(src.get("A_KEY").as_deref(), Some("abc"));
        assert_eq!(src.get("B").as_deref(), Some("quoted value"));
        assert_eq!(src.get("PATH"), None, "environment not read unless asked");

        let mut bad = tempfile::NamedTempFile::new().unwrap();
        writeln!(bad, "A=1\nthis line has no equals").unwrap();
        let err = SecretSource::none().with_file(bad.path()).err().unwrap().to_string();
        assert!(err.contains("line 2"), "{err}");
        assert!(!err.contains("A=1"));

        let m = Manifest::parse(
            "component = \"a.wasm\"\ndomain = \"financial\"\n[policy]\nsecrets = [\"TOK\"]\n[secrets.TOK]\nplaceholder = \"{{TOK}}\"\n",
            Path::new("/p/dive-tool.toml"),
        )
        .unwrap();
        let err = SecretSource::none()
            .resolve(&m, "t", &m.policy.secrets)
            .unwrap_err()
            .to_string();
        assert!(err.contains("TOK") && err.contains("--secrets"), "{err}");
    }

    #[test]
    fn a_secret_too_short_to_mask_is_refused_before_any_request() {
        let m = Manifest::parse(
            "component = \"a.wasm\"\ndomain = \"financial\"\n[policy]\nsecrets = [\"TOK\"]\n[secrets.TOK]\nheader = \"x-token\"\nrequired = false\n",
            Path::new("/p/dive-tool.toml"),
        )
        .unwrap();
        let with = |v: &str| SecretSource::none().with_values([("TOK".to_string(), v.to_string())]);
        let err = with("abc").resolve(&m, "t", &m.policy.secrets).unwrap_err();
        assert!(matches!(err, SecretsError::TooShort { len: 3, min: 8, .. }), "{err}");
        let text = err.to_string();
        assert!(text.contains("TOK") && text.contains("8 characters") && !text.contains("abc"), "{text}");
        // Characters, not bytes: seven two-byte letters are still too short.
        assert!(with("ééééééé").resolve(&m, "t", &m.policy.secrets).is_err());
        // An empty value is no value: an optional secret is just not sent.
        assert_eq!(with("").resolve(&m, "t", &m.policy.secrets).unwrap().iter().count(), 0);
        let ok = with("12345678").resolve(&m, "t", &m.policy.secrets).unwrap();
        assert_eq!(ok.iter().count(), 1);
        assert_eq!(ok.scrub(b"id 1234 and 12345678"), b"id 1234 and [secret TOK]".to_vec());
    }
}
