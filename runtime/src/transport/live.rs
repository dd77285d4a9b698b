//! The live transport: the real network. A request that passed the sandbox's network
//! rule is paced, given its secrets, mapped by `--upstream`, resolved under the address
//! rule, sent over a kept-alive or new connection (TLS for https; redirects are never
//! followed) and read back within the policy's response cap, secrets scrubbed.

use super::connections::{connect_and_send, ConnKey, IdleConnections, Received};
use super::dns::{resolve, unconfigured_reserved};
use super::pacing::Pacing;
use super::{SendContext, Transport, TransportError, TransportFuture};
use crate::config::NetworkConfig;
use bytes::Bytes;
use dive_evidence::exchange::{FailureCode, RequestRecord, ResponseRecord};
use dive_policy::origin::Origin;
use dive_policy::rules::{Rule, Violation};
use http_body_util::{BodyExt, Full, Limited};
use std::net::SocketAddr;
use std::sync::Arc;

/// The real network.
pub struct LiveTransport {
    config: NetworkConfig,
    tls: Arc<rustls::ClientConfig>,
    pacing: Pacing,
    /// Keep-alive connections between requests (see [`IdleConnections`]).
    idle: IdleConnections,
}

/// Where one request really goes, after `--upstream` and the address rule.
struct Destination {
    target: url::Url,
    host: String,
    addrs: Vec<SocketAddr>,
}

impl LiveTransport {
    /// The live network with these host-wide settings.
    pub fn new(config: NetworkConfig) -> Self {
        let roots = rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
        let tls = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .expect("ring supports the default TLS versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
        let pacing = Pacing::new(config.rates.clone());
        LiveTransport { config, tls: Arc::new(tls), pacing, idle: IdleConnections::default() }
    }

    /// Where a logical URL is really sent: its own origin, or the `--upstream` target.
    pub fn target(&self, logical: &url::Url) -> url::Url {
        let Ok(origin) = Origin::of_url(logical) else {
            return logical.clone();
        };
        let Some((_, base)) = self.config.upstreams.iter().find(|(o, _)| *o == origin) else {
            return logical.clone();
        };
        let mut t = base.clone();
        let prefix = base.path().trim_end_matches('/');
        t.set_path(&format!("{prefix}{}", logical.path()));
        t.set_query(logical.query());
        t
    }

    /// Pace, map and resolve: where this request (secrets already in `with_secrets`) goes.
    async fn destination(&self, logical: &url::Url, with_secrets: &url::Url) -> Result<Destination, TransportError> {
        let target = self.target(with_secrets);
        if let Some(message) = unconfigured_reserved(logical, &target) {
            return Err(TransportError::failed(FailureCode::DnsError, message));
        }
        let host = target.host_str().unwrap_or_default().to_string();
        let port = target.port_or_known_default().unwrap_or(80);
        let addrs = resolve(&host, port, self.config.allow_private).await?;
        Ok(Destination { target, host, addrs })
    }

    async fn send(&self, req: &RequestRecord, ctx: &SendContext) -> Result<ResponseRecord, TransportError> {
        let logical = url::Url::parse(&req.url).map_err(|e| TransportError::failed(FailureCode::InternalError, e.to_string()))?;
        let parsed = Origin::of_url(&logical).ok();
        if let Some(o) = &parsed {
            self.pacing.wait_turn(o, &ctx.secrets).await;
        }
        let origin = parsed.map(|o| o.to_string()).unwrap_or_default();
        let mut headers = req.headers.clone();
        let mut body = req.body.to_vec();
        let with_secrets = ctx.secrets.inject(&logical, &mut headers, &mut body);
        let dest = self.destination(&logical, &with_secrets).await?;
        let request = http_request(&req.method, &dest, &headers, body)?;
        let ((response, sender), key) = self.send_on_a_connection(&dest, &origin, request).await?;
        let (parts, incoming) = response.into_parts();
        let body = read_capped(incoming, ctx.max_response_bytes as usize, &origin).await?;
        // Only a connection whose response was read to the end goes back for reuse.
        self.idle.put(key, sender);
        Ok(scrubbed(parts, body, ctx))
    }

    /// Send on an idle connection to one of the checked addresses if there is one,
    /// else on a new connection.
    async fn send_on_a_connection(
        &self,
        dest: &Destination,
        origin: &str,
        request: http::Request<Full<Bytes>>,
    ) -> Result<(Received, ConnKey), TransportError> {
        let tls = (dest.target.scheme() == "https").then_some(&self.tls);
        let Some((key, mut sender)) = self.idle.take(tls.is_some(), &dest.host, &dest.addrs) else {
            return connect_and_send(tls, &dest.host, &dest.addrs, origin, request).await;
        };
        match sender.try_send_request(request).await {
            Ok(response) => Ok(((response, sender), key)),
            // The connection closed before the request was written (the server ended an
            // idle keep-alive): send the same request on a new connection.
            Err(mut e) => match e.take_message() {
                Some(unsent) => connect_and_send(tls, &dest.host, &dest.addrs, origin, unsent).await,
                None => Err(TransportError::failed(FailureCode::HttpProtocolError, format!("HTTP request failed: {}", e.error()))),
            },
        }
    }
}

/// The HTTP/1.1 request for `dest`: origin-form target, `Host` as the URL names it.
fn http_request(
    method: &str,
    dest: &Destination,
    headers: &[(String, String)],
    body: Vec<u8>,
) -> Result<http::Request<Full<Bytes>>, TransportError> {
    let authority = match dest.target.port() {
        Some(p) => format!("{}:{p}", dest.host),
        None => dest.host.clone(),
    };
    let path_and_query = match dest.target.query() {
        Some(q) => format!("{}?{q}", dest.target.path()),
        None => dest.target.path().to_string(),
    };
    let mut builder = http::Request::builder().method(method).uri(path_and_query).header(http::header::HOST, authority);
    for (k, v) in headers {
        builder = builder.header(k.as_str(), v.as_str());
    }
    builder
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| TransportError::failed(FailureCode::HttpRequestUriInvalid, e.to_string()))
}

/// A response body read to the end, refused (a `max_response_bytes` violation) past
/// `limit` bytes.
async fn read_capped(incoming: hyper::body::Incoming, limit: usize, origin: &str) -> Result<Bytes, TransportError> {
    match Limited::new(incoming, limit).collect().await {
        Ok(b) => Ok(b.to_bytes()),
        Err(e) if e.downcast_ref::<http_body_util::LengthLimitError>().is_some() => Err(TransportError::Violation(Violation::new(
            Rule::ResponseSize,
            format!("a response from {origin} is larger than max_response_bytes = {limit}"),
        ))),
        Err(e) => Err(TransportError::failed(FailureCode::ConnectionTerminated, format!("reading the response: {e}"))),
    }
}

/// The response as recorded and as the guest sees it: the call's secrets scrubbed from
/// the body and the headers.
fn scrubbed(parts: http::response::Parts, body: Bytes, ctx: &SendContext) -> ResponseRecord {
    let body = if ctx.secrets.is_empty() { body } else { Bytes::from(ctx.secrets.scrub(&body)) };
    let headers = parts
        .headers
        .iter()
        .map(|(k, v)| (k.as_str().to_string(), ctx.secrets.scrub_str(&String::from_utf8_lossy(v.as_bytes()))))
        .collect();
    ResponseRecord { status: parts.status.as_u16(), headers, body }
}

impl Transport for LiveTransport {
    fn exchange<'a>(&'a self, req: &'a RequestRecord, ctx: &'a SendContext) -> TransportFuture<'a> {
        Box::pin(self.send(req, ctx))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::secrets::CallSecrets;
    use crate::transport::error_for_guest;

    #[test]
    fn upstream_mapping_keeps_path_and_query() {
        let (o, t) = crate::config::parse_upstream("https://rxnav.nlm.nih.gov=http://127.0.0.1:9/mirror/").unwrap();
        assert_eq!(o.to_string(), "https://rxnav.nlm.nih.gov");
        let live = LiveTransport::new(NetworkConfig {
            upstreams: vec![(o, t)],
            allow_private: false,
            rates: vec![],
        });
        let u = url::Url::parse("https://rxnav.nlm.nih.gov/REST/rxcui.json?name=aspirin").unwrap();
        assert_eq!(live.target(&u).as_str(), "http://127.0.0.1:9/mirror/REST/rxcui.json?name=aspirin");
        let other = url::Url::parse("https://example.org/x").unwrap();
        assert_eq!(live.target(&other), other);
        assert!(crate::config::parse_upstream("https://a.org/path=http://x").is_err());
        assert!(crate::config::parse_upstream("no-equals").is_err());
    }

    #[tokio::test]
    async fn unmapped_invalid_hosts_fail_at_once_as_a_network_error() {
        let req = |url: &str| RequestRecord {
            method: "POST".into(),
            url: url.into(),
            headers: vec![],
            body: Bytes::from_static(b"{}"),
        };
        let ctx = SendContext { secrets: CallSecrets::default(), max_response_bytes: 1 << 20 };
        let live = LiveTransport::new(NetworkConfig::default());
        for url in ["https://llm.dive.invalid/chat/completions", "http://INVALID./x", "https://a.b.invalid:8443/"] {
            match live.exchange(&req(url), &ctx).await {
                Err(TransportError::Failed { code, message }) => {
                    assert_eq!(code, FailureCode::DnsError, "{url}");
                    assert!(message.contains("is not configured: map it with --upstream"), "{message}");
                }
                other => panic!("{url}: expected a network failure, got {other:?}"),
            }
        }
        let m = match live.exchange(&req("https://llm.dive.invalid/chat/completions"), &ctx).await {
            Err(TransportError::Failed { message, .. }) => message,
            other => panic!("{other:?}"),
        };
        assert!(m.starts_with("https://llm.dive.invalid is not configured: map it with --upstream https://llm.dive.invalid=URL"), "{m}");
        // The guest sees the message (not a bare code).
        assert!(format!("{:?}", error_for_guest(FailureCode::DnsError, &m)).contains("not configured"));

        // Once mapped, the reserved name is just a logical origin: the base URL's path is kept.
        let (o, t) = crate::config::parse_upstream("https://llm.dive.invalid=http://127.0.0.1:9/v1").unwrap();
        let mapped = LiveTransport::new(NetworkConfig { upstreams: vec![(o, t)], ..Default::default() });
        let logical = url::Url::parse("https://llm.dive.invalid/chat/completions").unwrap();
        let target = mapped.target(&logical);
        assert_eq!(target.as_str(), "http://127.0.0.1:9/v1/chat/completions");
        assert_eq!(unconfigured_reserved(&logical, &target), None);
        // Mapping one reserved name onto another does not make it resolvable.
        let (o, t) = crate::config::parse_upstream("https://llm.dive.invalid=https://other.invalid/v1").unwrap();
        let still = LiveTransport::new(NetworkConfig { upstreams: vec![(o, t)], ..Default::default() });
        assert!(matches!(still.exchange(&req(logical.as_str()), &ctx).await, Err(TransportError::Failed { .. })));
        // Ordinary names are untouched by the rule.
        let ordinary = url::Url::parse("https://invalid.example.org/x").unwrap();
        assert_eq!(unconfigured_reserved(&ordinary, &ordinary), None);
    }

    /// A loopback HTTP/1.1 server answering `body` to every request; counts connections.
    /// With `close`, it ends each connection after one answer (as some servers do).
    async fn counting_server(close: bool) -> (SocketAddr, Arc<std::sync::atomic::AtomicUsize>) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let conns = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = conns.clone();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = listener.accept().await {
                counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    let mut chunk = [0u8; 4096];
                    loop {
                        let Ok(n) = s.read(&mut chunk).await else { return };
                        if n == 0 {
                            return;
                        }
                        buf.extend_from_slice(&chunk[..n]);
                        while let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                            buf.drain(..end + 4);
                            let header = if close { "connection: close\r\n" } else { "" };
                            let reply = format!("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n{header}\r\nok");
                            if s.write_all(reply.as_bytes()).await.is_err() || close {
                                return;
                            }
                        }
                    }
                });
            }
        });
        (addr, conns)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn connections_are_reused_and_every_request_is_still_checked() {
        let ctx = SendContext { secrets: CallSecrets::default(), max_response_bytes: 1 << 20 };
        let req = |url: String| RequestRecord { method: "GET".into(), url, headers: vec![], body: Bytes::new() };
        for close in [false, true] {
            let (addr, conns) = counting_server(close).await;
            let (o, t) = crate::config::parse_upstream(&format!("https://api.example.org=http://{addr}")).unwrap();
            let live = LiveTransport::new(NetworkConfig { upstreams: vec![(o, t)], allow_private: true, rates: vec![] });
            for i in 0..5 {
                let r = live.exchange(&req(format!("https://api.example.org/x?i={i}")), &ctx).await.unwrap();
                assert_eq!((r.status, &r.body[..]), (200, &b"ok"[..]));
                // Let the connection settle back to idle, as between two calls.
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
            let n = conns.load(std::sync::atomic::Ordering::SeqCst);
            if close {
                assert_eq!(n, 5, "a server that closes gets a new connection per request");
            } else {
                assert_eq!(n, 1, "one keep-alive connection serves every request");
            }
        }
        // The address rules still apply to each request: without --allow-private-network
        // the same upstream is refused even though it is reachable.
        let (addr, conns) = counting_server(false).await;
        let (o, t) = crate::config::parse_upstream(&format!("https://api.example.org=http://{addr}")).unwrap();
        let strict = LiveTransport::new(NetworkConfig { upstreams: vec![(o, t)], allow_private: false, rates: vec![] });
        for _ in 0..2 {
            match strict.exchange(&req("https://api.example.org/x".into()), &ctx).await {
                Err(TransportError::Violation(v)) => assert_eq!(v.rule, Rule::PrivateAddress),
                other => panic!("expected a private-address violation, got {other:?}"),
            }
        }
        assert_eq!(conns.load(std::sync::atomic::Ordering::SeqCst), 0);
    }
}
