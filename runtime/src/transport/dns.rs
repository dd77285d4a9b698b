//! Name resolution for the live transport, with the address rule of ARCHITECTURE.md §4:
//! a host that resolves only to loopback, private, link-local (…) addresses is refused
//! unless the host was started with `--allow-private-network`.

use super::TransportError;
use dive_evidence::exchange::FailureCode;
use dive_policy::address::forbidden_reason;
use dive_policy::origin::Origin;
use dive_policy::rules::{Rule, Violation};
use std::net::{IpAddr, SocketAddr};

/// The addresses of `host` (a name, an IP literal or a bracketed IPv6 literal) that the
/// address rule lets a tool reach, in the resolver's order.
pub async fn resolve(host: &str, port: u16, allow_private: bool) -> Result<Vec<SocketAddr>, TransportError> {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let addrs = lookup(bare, port).await?;
    if allow_private {
        return Ok(addrs);
    }
    public_only(bare, addrs)
}

/// Every address of `bare`: the literal itself, or what the system resolver says.
async fn lookup(bare: &str, port: u16) -> Result<Vec<SocketAddr>, TransportError> {
    let addrs: Vec<SocketAddr> = if let Ok(ip) = bare.parse::<IpAddr>() {
        vec![SocketAddr::new(ip, port)]
    } else {
        tokio::net::lookup_host((bare, port))
            .await
            .map_err(|e| TransportError::failed(FailureCode::DnsError, format!("cannot resolve {bare}: {e}")))?
            .collect()
    };
    if addrs.is_empty() {
        return Err(TransportError::failed(FailureCode::DestinationNotFound, format!("{bare} has no addresses")));
    }
    Ok(addrs)
}

/// The public addresses among `addrs`; none is a violation of the address rule, named
/// by the first address refused.
fn public_only(bare: &str, addrs: Vec<SocketAddr>) -> Result<Vec<SocketAddr>, TransportError> {
    let mut refused = None;
    let public: Vec<SocketAddr> = addrs
        .into_iter()
        .filter(|a| match forbidden_reason(a.ip()) {
            Some(reason) => {
                refused.get_or_insert((a.ip(), reason));
                false
            }
            None => true,
        })
        .collect();
    match refused {
        Some((ip, reason)) if public.is_empty() => Err(TransportError::Violation(Violation::new(
            Rule::PrivateAddress,
            format!(
                "{bare} resolves to {ip}, a {reason}; sandboxed tools may only reach public addresses (start the host with --allow-private-network for local tests and mirrors)"
            ),
        ))),
        _ => Ok(public),
    }
}

/// A request whose destination is still a host under the reserved `.invalid` top-level
/// domain (RFC 2606) after `--upstream` mapping: such names never resolve, so a package
/// uses them as logical origins the user must map (e.g. browse's optional
/// `https://llm.dive.invalid`). The request fails at once, as an ordinary network error
/// the guest sees and may handle (no DNS lookup, not a sandbox violation).
pub fn unconfigured_reserved(logical: &url::Url, target: &url::Url) -> Option<String> {
    let host = target.host_str()?.trim_end_matches('.').to_ascii_lowercase();
    if host != "invalid" && !host.ends_with(".invalid") {
        return None;
    }
    let origin = Origin::of_url(logical).map(|o| o.to_string()).unwrap_or_else(|_| host.clone());
    Some(format!(
        "{origin} is not configured: map it with --upstream {origin}=URL (names under .invalid are reserved and never looked up)"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn private_addresses_are_refused_unless_allowed() {
        match resolve("127.0.0.1", 80, false).await {
            Err(TransportError::Violation(v)) => {
                assert_eq!(v.rule, Rule::PrivateAddress);
                assert!(v.message.contains("127.0.0.1 resolves to 127.0.0.1"), "{}", v.message);
            }
            other => panic!("expected a private-address violation, got {other:?}"),
        }
        assert_eq!(resolve("[::1]", 8080, true).await.unwrap(), vec!["[::1]:8080".parse().unwrap()]);
        assert_eq!(resolve("93.184.215.14", 443, false).await.unwrap().len(), 1);
    }
}
