//! Network origins: the `scheme://host[:port]` allowlist entries of a policy, and the
//! origin of a request URL.

use serde::{Serialize, Serializer};
use std::fmt;

/// The origin of one request: scheme, lowercase host, explicit port.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Origin {
    /// `http` or `https`, lowercase.
    pub scheme: String,
    /// A domain (lowercase, no trailing dot), an IPv4 address, or an IPv6 address in
    /// brackets (`[::1]`).
    pub host: String,
    /// The port, the scheme's default when the URL gives none.
    pub port: u16,
}

impl Origin {
    /// The origin of an absolute http(s) URL.
    pub fn of_url(url: &url::Url) -> Result<Origin, String> {
        let scheme = url.scheme().to_ascii_lowercase();
        if scheme != "http" && scheme != "https" {
            return Err(format!("scheme '{scheme}' is not http or https"));
        }
        let host = match url.host() {
            Some(url::Host::Domain(d)) => d.trim_end_matches('.').to_ascii_lowercase(),
            Some(url::Host::Ipv4(a)) => a.to_string(),
            Some(url::Host::Ipv6(a)) => format!("[{a}]"),
            None => return Err("the URL has no host".into()),
        };
        let port = url
            .port_or_known_default()
            .ok_or_else(|| "the URL has no port".to_string())?;
        Ok(Origin { scheme, host, port })
    }

    /// 80 for `http`, 443 for anything else.
    pub fn default_port(scheme: &str) -> u16 {
        if scheme == "http" {
            80
        } else {
            443
        }
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.port == Origin::default_port(&self.scheme) {
            write!(f, "{}://{}", self.scheme, self.host)
        } else {
            write!(f, "{}://{}:{}", self.scheme, self.host, self.port)
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum HostPattern {
    /// Any host (the address rules still apply).
    Any,
    /// `*.suffix`: any subdomain of `suffix`, not `suffix` itself.
    Subdomains(String),
    Exact(String),
}

/// One allowlist entry: `scheme://host[:port]`, host may be `*.example.org` or `*`;
/// a bare `*` allows any http or https origin.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OriginPattern {
    /// None: http or https.
    scheme: Option<String>,
    host: HostPattern,
    /// None: any port (bare `*` only).
    port: Option<u16>,
    text: String,
}

impl OriginPattern {
    /// Parse one `network` entry. The host is normalised (lowercase, IDNA) and a
    /// missing port becomes the scheme's default. Fails, with a message that names the
    /// entry and shows the accepted forms, on any other scheme, a path, query,
    /// fragment or user, a bad port, or a misplaced `*`.
    pub fn parse(text: &str) -> Result<OriginPattern, String> {
        let bad = |why: &str| {
            format!("network entry \"{text}\" {why}; write scheme://host[:port], e.g. \"https://api.example.org\", \"https://*.example.org\" or \"*\"")
        };
        if text == "*" {
            return Ok(OriginPattern {
                scheme: None,
                host: HostPattern::Any,
                port: None,
                text: text.into(),
            });
        }
        let (scheme, rest) = text.split_once("://").ok_or_else(|| bad("has no scheme"))?;
        let scheme = scheme.to_ascii_lowercase();
        if scheme != "http" && scheme != "https" {
            return Err(bad("has a scheme other than http or https"));
        }
        if rest.contains(['/', '?', '#', '@']) {
            return Err(bad("must not have a path, query, fragment or user"));
        }
        let (host, port) = if rest.starts_with('[') {
            let end = rest.find(']').ok_or_else(|| bad("has an unclosed IPv6 bracket"))?;
            let host = &rest[..=end];
            let tail = &rest[end + 1..];
            let port = match tail.strip_prefix(':') {
                Some(p) => Some(p),
                None if tail.is_empty() => None,
                None => return Err(bad("has text after the IPv6 address")),
            };
            (host.to_string(), port)
        } else {
            match rest.rsplit_once(':') {
                Some((h, p)) => (h.to_string(), Some(p)),
                None => (rest.to_string(), None),
            }
        };
        let port = match port {
            Some(p) => Some(p.parse::<u16>().map_err(|_| bad("has an invalid port"))?),
            None => Some(Origin::default_port(&scheme)),
        };
        let host = host.to_ascii_lowercase();
        let host = if host == "*" {
            HostPattern::Any
        } else if let Some(suffix) = host.strip_prefix("*.") {
            if suffix.is_empty() || suffix.contains('*') {
                return Err(bad("has an invalid wildcard"));
            }
            HostPattern::Subdomains(suffix.to_string())
        } else {
            if host.is_empty() || host.contains('*') {
                return Err(bad("has an invalid host"));
            }
            // Let the URL parser judge the host (IDNA, IP literals).
            let url = url::Url::parse(&format!("{scheme}://{host}/")).map_err(|_| bad("has an invalid host"))?;
            let norm = Origin::of_url(&url).map_err(|e| bad(&e))?.host;
            HostPattern::Exact(norm)
        };
        Ok(OriginPattern {
            scheme: Some(scheme),
            host,
            port,
            text: text.into(),
        })
    }

    /// Whether a request to `o` is allowed by this entry: scheme, port and host all
    /// match (`*.example.org` matches `a.example.org`, never `example.org`).
    pub fn matches(&self, o: &Origin) -> bool {
        if let Some(s) = &self.scheme {
            if *s != o.scheme {
                return false;
            }
        }
        if let Some(p) = self.port {
            if p != o.port {
                return false;
            }
        }
        match &self.host {
            HostPattern::Any => true,
            HostPattern::Exact(h) => *h == o.host,
            HostPattern::Subdomains(suffix) => o
                .host
                .strip_suffix(suffix.as_str())
                .is_some_and(|head| head.len() > 1 && head.ends_with('.')),
        }
    }

    /// Whether every origin `other` allows is also allowed by `self`.
    pub fn covers(&self, other: &OriginPattern) -> bool {
        let scheme_ok = match (&self.scheme, &other.scheme) {
            (None, _) => true,
            (Some(a), Some(b)) => a == b,
            (Some(_), None) => false,
        };
        let port_ok = match (self.port, other.port) {
            (None, _) => true,
            (Some(a), Some(b)) => a == b,
            (Some(_), None) => false,
        };
        let host_ok = match (&self.host, &other.host) {
            (HostPattern::Any, _) => true,
            (HostPattern::Exact(a), HostPattern::Exact(b)) => a == b,
            (HostPattern::Subdomains(s), HostPattern::Exact(h)) => {
                h.strip_suffix(s.as_str()).is_some_and(|head| head.len() > 1 && head.ends_with('.'))
            }
            (HostPattern::Subdomains(s), HostPattern::Subdomains(t)) => {
                t == s || t.ends_with(&format!(".{s}"))
            }
            _ => false,
        };
        scheme_ok && port_ok && host_ok
    }

    /// Whether this pattern names the hosts it allows — one exact origin, or the
    /// subdomains of one name — rather than letting any host through (`*`). Only such
    /// origins are trusted with a package's secrets.
    pub fn names_its_hosts(&self) -> bool {
        match self.host {
            HostPattern::Exact(_) => self.exact().is_some(),
            HostPattern::Subdomains(_) => self.scheme.is_some(),
            HostPattern::Any => false,
        }
    }

    /// An exact origin (no wildcard), when this pattern is one.
    pub fn exact(&self) -> Option<Origin> {
        match (&self.scheme, &self.host, self.port) {
            (Some(s), HostPattern::Exact(h), Some(p)) => Some(Origin {
                scheme: s.clone(),
                host: h.clone(),
                port: p,
            }),
            _ => None,
        }
    }

    /// The entry as written in the manifest.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for OriginPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Serialize for OriginPattern {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_patterns_that_name_their_hosts_get_secrets() {
        let names = |t: &str| OriginPattern::parse(t).unwrap().names_its_hosts();
        assert!(names("https://api.example.org"));
        assert!(names("https://*.example.org"));
        assert!(!names("https://*"));
        assert!(!names("*"));
    }

    fn origin(u: &str) -> Origin {
        Origin::of_url(&url::Url::parse(u).unwrap()).unwrap()
    }

    #[test]
    fn scheme_host_and_port_must_all_match() {
        let p = OriginPattern::parse("https://rxnav.nlm.nih.gov").unwrap();
        assert!(p.matches(&origin("https://rxnav.nlm.nih.gov/REST/x?y=1")));
        assert!(p.matches(&origin("https://RXNAV.nlm.nih.gov:443/")));
        assert!(!p.matches(&origin("http://rxnav.nlm.nih.gov/")));
        assert!(!p.matches(&origin("https://rxnav.nlm.nih.gov:8443/")));
        assert!(!p.matches(&origin("https://rxnav.nlm.nih.gov.evil.org/")));
        assert!(!p.matches(&origin("https://evil.org/rxnav.nlm.nih.gov")));
    }

    #[test]
    fn wildcards() {
        let p = OriginPattern::parse("https://*.example.org").unwrap();
        assert!(p.matches(&origin("https://a.example.org/")));
        assert!(p.matches(&origin("https://a.b.example.org/")));
        assert!(!p.matches(&origin("https://example.org/")));
        assert!(!p.matches(&origin("https://badexample.org/")));
        let any = OriginPattern::parse("*").unwrap();
        assert!(any.matches(&origin("http://x.org:8080/")));
        assert!(any.matches(&origin("https://y.org/")));
        assert!(any.covers(&p));
        assert!(p.covers(&OriginPattern::parse("https://a.example.org").unwrap()));
        assert!(!p.covers(&OriginPattern::parse("https://example.org").unwrap()));
        assert!(!p.covers(&any));
    }

    #[test]
    fn explicit_ports_and_ipv6() {
        let p = OriginPattern::parse("http://127.0.0.1:8080").unwrap();
        assert!(p.matches(&origin("http://127.0.0.1:8080/a")));
        assert!(!p.matches(&origin("http://127.0.0.1/a")));
        let v6 = OriginPattern::parse("http://[::1]:9000").unwrap();
        assert!(v6.matches(&origin("http://[::1]:9000/")));
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "rxnav.nlm.nih.gov",
            "ftp://x.org",
            "https://x.org/path",
            "https://x.org:99999",
            "https://user@x.org",
            "https://*x.org",
            "https://",
        ] {
            assert!(OriginPattern::parse(bad).is_err(), "{bad}");
        }
    }
}
