//! Network: the only way out of the sandbox is wasi:http, whose outgoing handler
//! (`outgoing.rs`) hands every request to [`HttpShared::send`]. There it is counted,
//! checked against the origin allowlist, recorded under its logical URL and handed to a
//! [`Transport`]: the live one (secrets, `--upstream`, DNS and address
//! checks, TLS, no redirects) or a replaying one that answers from a recording.

use super::address::forbidden_reason;
use super::secrets::CallSecrets;
use super::{CallMonitor, Rule, Violation};
use crate::exchange::{HttpExchange, HttpOutcome, RequestRecord, ResponseRecord};
use crate::manifest::Policy;
use crate::origin::Origin;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use super::outgoing::Answer;
use wasmtime_wasi_http::p2::bindings::http::types::{DnsErrorPayload, ErrorCode};
use wasmtime_wasi_http::{Error as HttpError, RequestOptions, WasiBody, WasiHttpHooks};

/// Largest request body a guest may send.
pub const MAX_REQUEST_BODY: usize = 16 << 20;

/// What a transport needs to know about the call it sends for.
pub struct SendContext {
    pub secrets: CallSecrets,
    pub max_response_bytes: u64,
}

/// Why a transport did not produce a response.
#[derive(Debug)]
pub enum TransportError {
    /// A sandbox rule was broken: the call ends.
    Violation(Violation),
    /// The request failed the way networks fail; the guest is told and may carry on.
    Failed { code: String, message: String },
}

pub type TransportFuture<'a> =
    Pin<Box<dyn Future<Output = Result<ResponseRecord, TransportError>> + Send + 'a>>;

/// Sends (or answers) one checked, logical request.
pub trait Transport: Send + Sync {
    fn exchange<'a>(&'a self, req: &'a RequestRecord, ctx: &'a SendContext) -> TransportFuture<'a>;
}

/// Host-wide network settings.
#[derive(Debug, Clone, Default)]
pub struct NetworkConfig {
    /// `--upstream ORIGIN=URL`: requests to ORIGIN go to URL instead.
    pub upstreams: Vec<(Origin, url::Url)>,
    /// `--allow-private-network`.
    pub allow_private: bool,
    /// `--rate ORIGIN=N`: at most N requests per second to ORIGIN from this process
    /// (politeness), on top of the built-in defaults ([`default_rates`]).
    pub rates: Vec<(Origin, f64)>,
}

/// Built-in politeness: (origin, requests/s without a key, (secret that raises it, requests/s with it)).
pub fn default_rates() -> Vec<(&'static str, f64, Option<(&'static str, f64)>)> {
    vec![("https://eutils.ncbi.nlm.nih.gov", 3.0, Some(("NCBI_API_KEY", 10.0)))]
}

impl NetworkConfig {
    /// Parse one `ORIGIN=N` rate (requests per second, > 0).
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

    /// Parse one `ORIGIN=URL` mapping.
    pub fn parse_upstream(spec: &str) -> Result<(Origin, url::Url), String> {
        let (o, u) = spec.split_once('=').ok_or_else(|| {
            format!("--upstream '{spec}' must be ORIGIN=URL, e.g. https://rxnav.nlm.nih.gov=http://127.0.0.1:8080")
        })?;
        let ou = url::Url::parse(o.trim()).map_err(|e| format!("--upstream origin '{o}': {e}"))?;
        if ou.path() != "/" || ou.query().is_some() {
            return Err(format!("--upstream origin '{o}' must be scheme://host[:port] without a path"));
        }
        let origin = Origin::of_url(&ou).map_err(|e| format!("--upstream origin '{o}': {e}"))?;
        let target = url::Url::parse(u.trim()).map_err(|e| format!("--upstream target '{u}': {e}"))?;
        Origin::of_url(&target).map_err(|e| format!("--upstream target '{u}': {e}"))?;
        Ok((origin, target))
    }

    pub fn parse_upstreams<'a>(specs: impl IntoIterator<Item = &'a str>) -> Result<Vec<(Origin, url::Url)>, String> {
        specs
            .into_iter()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(NetworkConfig::parse_upstream)
            .collect()
    }
}

/// The wasi:http hooks of one call. Requests do not go through them: the outgoing
/// handler in `outgoing.rs` sends them with [`HttpShared::send`]; wasmtime-wasi-http
/// only asks these hooks for limits, and the refusal below only guards against a path
/// that would send without the sandbox's checks.
pub struct SandboxHttp {
    pub(crate) shared: Arc<HttpShared>,
}

pub(crate) struct HttpShared {
    pub policy: Arc<Policy>,
    pub monitor: Arc<CallMonitor>,
    pub transport: Arc<dyn Transport>,
    pub secrets: CallSecrets,
}

impl WasiHttpHooks for SandboxHttp {
    fn send_request(
        &mut self,
        _request: http::Request<WasiBody>,
        _options: Option<RequestOptions>,
        _fut: Box<dyn Future<Output = Result<(), HttpError>> + Send>,
    ) -> Box<
        dyn Future<
                Output = Result<
                    (http::Response<WasiBody>, Box<dyn Future<Output = Result<(), HttpError>> + Send>),
                    HttpError,
                >,
            > + Send,
    > {
        Box::new(async { Err(HttpError::HttpRequestDenied) })
    }
}

impl HttpShared {
    /// Check, record and send the guest's request number `seq` (numbered when the guest
    /// made it); the response or the error the guest sees.
    pub(crate) async fn send(&self, seq: u32, req: http::Request<WasiBody>) -> Answer {
        let (parts, body) = req.into_parts();
        // Drain the body first: a refused request must still be read, or the guest sees
        // a reset connection instead of the refusal.
        let body = match Limited::new(body, MAX_REQUEST_BODY).collect().await {
            Ok(b) => b.to_bytes(),
            Err(e) => {
                if e.downcast_ref::<http_body_util::LengthLimitError>().is_some() {
                    return Err(self.deny(Violation::new(
                        Rule::RequestSize,
                        format!("a request body is larger than {} MiB", MAX_REQUEST_BODY >> 20),
                    )));
                }
                return Err(ErrorCode::InternalError(Some(format!("reading the request body: {e}"))));
            }
        };
        if seq >= self.policy.max_http_requests {
            return Err(self.deny(Violation::new(
                Rule::HttpRequests,
                format!(
                    "the tool made more than {} HTTP requests; raise max_http_requests in dive-tool.toml if that is expected",
                    self.policy.max_http_requests
                ),
            )));
        }
        let url = url::Url::parse(&parts.uri.to_string())
            .map_err(|_| ErrorCode::HttpRequestUriInvalid)?;
        let origin = Origin::of_url(&url).map_err(|_| ErrorCode::HttpRequestUriInvalid)?;
        let Some(pattern) = self.policy.network.iter().find(|p| p.matches(&origin)) else {
            let allowed = if self.policy.network.is_empty() {
                "no network at all".to_string()
            } else {
                self.policy.network.iter().map(|p| p.to_string()).collect::<Vec<_>>().join(", ")
            };
            return Err(self.deny(Violation::new(
                Rule::Network,
                format!(
                    "request to {origin} is not allowed (the policy allows {allowed}); add \"{origin}\" to network in dive-tool.toml if the tool needs it"
                ),
            )));
        };
        let headers = parts
            .headers
            .iter()
            .filter(|(k, _)| *k != http::header::HOST && *k != http::header::CONTENT_LENGTH)
            .map(|(k, v)| (k.as_str().to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect();
        let request = RequestRecord {
            method: parts.method.as_str().to_string(),
            url: url.to_string(),
            headers,
            body,
        };
        // Secrets go only to origins the policy names exactly or by subdomain, never to
        // whatever host a wildcard `*` happens to let through.
        let secrets = if pattern.exact().is_some() || pattern.as_str().contains("://*.") {
            self.secrets.clone()
        } else {
            CallSecrets::default()
        };
        let ctx = SendContext {
            secrets,
            max_response_bytes: self.policy.max_response_bytes,
        };
        let result = self.transport.exchange(&request, &ctx).await;
        match result {
            Ok(resp) => {
                let mut builder = http::Response::builder().status(resp.status);
                for (k, v) in &resp.headers {
                    builder = builder.header(k.as_str(), v.as_str());
                }
                let body: WasiBody = Full::new(resp.body.clone()).map_err(|never| match never {}).boxed_unsync();
                let out = builder
                    .body(body)
                    .map_err(|e| ErrorCode::InternalError(Some(format!("bad response: {e}"))))?;
                self.monitor.record(seq, HttpExchange {
                    request,
                    outcome: HttpOutcome::Response(resp),
                });
                Ok(out)
            }
            Err(TransportError::Violation(v)) => Err(self.deny(v)),
            Err(TransportError::Failed { code, message }) => {
                let err = error_for_guest(&code, &message);
                self.monitor.record(seq, HttpExchange {
                    request,
                    outcome: HttpOutcome::Failed { code, message },
                });
                Err(err)
            }
        }
    }

    fn deny(&self, v: Violation) -> ErrorCode {
        self.monitor.violate(v);
        ErrorCode::HttpRequestDenied
    }
}

/// The wasi:http error a guest sees for a recorded failure.
pub fn error_for_guest(code: &str, message: &str) -> ErrorCode {
    match code {
        "connection-refused" => ErrorCode::ConnectionRefused,
        "connection-timeout" => ErrorCode::ConnectionTimeout,
        "connection-terminated" => ErrorCode::ConnectionTerminated,
        "destination-not-found" => ErrorCode::DestinationNotFound,
        "dns-error" => ErrorCode::DnsError(DnsErrorPayload {
            rcode: Some(message.to_string()),
            info_code: None,
        }),
        "tls-protocol-error" => ErrorCode::TlsProtocolError,
        "tls-certificate-error" => ErrorCode::TlsCertificateError,
        "http-protocol-error" => ErrorCode::HttpProtocolError,
        _ => ErrorCode::InternalError(Some(message.to_string())),
    }
}

fn failed(code: &str, message: impl Into<String>) -> TransportError {
    TransportError::Failed {
        code: code.to_string(),
        message: message.into(),
    }
}

/// The real network.
pub struct LiveTransport {
    config: NetworkConfig,
    tls: Arc<rustls::ClientConfig>,
    /// Per logical origin: the earliest instant the next request may start.
    pacing: std::sync::Mutex<std::collections::HashMap<Origin, tokio::time::Instant>>,
    /// Keep-alive connections between requests (see [`IdleConnections`]).
    idle: IdleConnections,
}

impl LiveTransport {
    pub fn new(config: NetworkConfig) -> Self {
        let roots = rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        let tls = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .expect("ring supports the default TLS versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
        LiveTransport {
            config,
            tls: Arc::new(tls),
            pacing: Default::default(),
            idle: Default::default(),
        }
    }

    /// Requests per second allowed to `origin` for a call with these secrets, if limited.
    fn rate_for(&self, origin: &Origin, secrets: &CallSecrets) -> Option<f64> {
        if let Some((_, r)) = self.config.rates.iter().find(|(o, _)| o == origin) {
            return Some(*r);
        }
        default_rates().into_iter().find(|(o, _, _)| origin.to_string() == *o).map(|(_, base, keyed)| match keyed {
            Some((secret, r)) if secrets.iter().any(|s| s.name == secret) => r,
            _ => base,
        })
    }

    /// Wait for this origin's turn (politeness), shared by every call in the process.
    async fn pace(&self, origin: &Origin, secrets: &CallSecrets) {
        let Some(rate) = self.rate_for(origin, secrets) else { return };
        let interval = std::time::Duration::from_secs_f64(1.0 / rate);
        let start = {
            let mut map = self.pacing.lock().unwrap_or_else(|p| p.into_inner());
            let now = tokio::time::Instant::now();
            let slot = map.entry(origin.clone()).or_insert(now);
            reserve(slot, now, interval)
        };
        tokio::time::sleep_until(start).await;
    }

    /// Where a logical URL is really sent: its own origin, or the `--upstream` target.
    fn target(&self, logical: &url::Url) -> url::Url {
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

    async fn resolve(&self, host: &str, port: u16) -> Result<Vec<SocketAddr>, TransportError> {
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        let addrs: Vec<SocketAddr> = if let Ok(ip) = bare.parse::<IpAddr>() {
            vec![SocketAddr::new(ip, port)]
        } else {
            tokio::net::lookup_host((bare, port))
                .await
                .map_err(|e| failed("dns-error", format!("cannot resolve {bare}: {e}")))?
                .collect()
        };
        if addrs.is_empty() {
            return Err(failed("destination-not-found", format!("{bare} has no addresses")));
        }
        if self.config.allow_private {
            return Ok(addrs);
        }
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
        if public.is_empty() {
            let (ip, reason) = refused.expect("at least one address was refused");
            return Err(TransportError::Violation(Violation::new(
                Rule::PrivateAddress,
                format!(
                    "{bare} resolves to {ip}, a {reason}; sandboxed tools may only reach public addresses (start the host with --allow-private-network for local tests and mirrors)"
                ),
            )));
        }
        Ok(public)
    }

    async fn send(&self, req: &RequestRecord, ctx: &SendContext) -> Result<ResponseRecord, TransportError> {
        let logical = url::Url::parse(&req.url).map_err(|e| failed("internal-error", e.to_string()))?;
        let mut headers = req.headers.clone();
        let mut body = req.body.to_vec();
        if let Ok(origin) = Origin::of_url(&logical) {
            self.pace(&origin, &ctx.secrets).await;
        }
        let with_secrets = ctx.secrets.inject(&logical, &mut headers, &mut body);
        let target = self.target(&with_secrets);
        if let Some(message) = unconfigured_reserved(&logical, &target) {
            return Err(failed("dns-error", message));
        }
        let host = target.host_str().unwrap_or_default().to_string();
        let port = target.port_or_known_default().unwrap_or(80);
        let addrs = self.resolve(&host, port).await?;

        let authority = match target.port() {
            Some(p) => format!("{host}:{p}"),
            None => host.clone(),
        };
        let mut builder = http::Request::builder()
            .method(req.method.as_str())
            .uri(match target.query() {
                Some(q) => format!("{}?{q}", target.path()),
                None => target.path().to_string(),
            })
            .header(http::header::HOST, authority);
        for (k, v) in &headers {
            builder = builder.header(k.as_str(), v.as_str());
        }
        let request = builder
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| failed("http-request-uri-invalid", e.to_string()))?;

        // Reuse an idle connection to one of the addresses that just passed the checks
        // above, if there is one; else open a new connection.
        let tls = target.scheme() == "https";
        let (response, key, sender) = match self.idle.take(tls, &host, &addrs) {
            Some((key, mut sender)) => match sender.try_send_request(request).await {
                Ok(response) => (response, key, sender),
                // The connection closed before the request was written (the server
                // ended an idle keep-alive): send the same request on a new connection.
                Err(mut e) => match e.take_message() {
                    Some(unsent) => self.connect_and_send(&logical, &target, &host, &addrs, unsent).await?,
                    None => return Err(failed("http-protocol-error", format!("HTTP request failed: {}", e.error()))),
                },
            },
            None => self.connect_and_send(&logical, &target, &host, &addrs, request).await?,
        };

        let (parts, incoming) = response.into_parts();
        let limit = ctx.max_response_bytes as usize;
        let body = match Limited::new(incoming, limit).collect().await {
            Ok(b) => b.to_bytes(),
            Err(e) if e.downcast_ref::<http_body_util::LengthLimitError>().is_some() => {
                return Err(TransportError::Violation(Violation::new(
                    Rule::ResponseSize,
                    format!(
                        "a response from {} is larger than max_response_bytes = {limit}",
                        Origin::of_url(&logical).map(|o| o.to_string()).unwrap_or_default()
                    ),
                )))
            }
            Err(e) => return Err(failed("connection-terminated", format!("reading the response: {e}"))),
        };
        // Only a connection whose response was read to the end goes back for reuse.
        self.idle.put(key, sender);
        let body = if ctx.secrets.is_empty() {
            body
        } else {
            Bytes::from(ctx.secrets.scrub(&body))
        };
        let headers = parts
            .headers
            .iter()
            .map(|(k, v)| {
                let v = String::from_utf8_lossy(v.as_bytes());
                (k.as_str().to_string(), ctx.secrets.scrub_str(&v))
            })
            .collect();
        Ok(ResponseRecord {
            status: parts.status.as_u16(),
            headers,
            body,
        })
    }
}

impl LiveTransport {
    /// Open a new connection to the first of `addrs` (already checked) that accepts,
    /// with TLS for https, and send `request` on it.
    async fn connect_and_send(
        &self,
        logical: &url::Url,
        target: &url::Url,
        host: &str,
        addrs: &[SocketAddr],
        request: http::Request<Full<Bytes>>,
    ) -> Result<(http::Response<hyper::body::Incoming>, ConnKey, Sender), TransportError> {
        let mut last_err = None;
        let mut stream = None;
        for addr in addrs {
            match tokio::net::TcpStream::connect(addr).await {
                Ok(s) => {
                    stream = Some((s, *addr));
                    break;
                }
                Err(e) => last_err = Some(e),
            }
        }
        let Some((tcp, addr)) = stream else {
            let e = last_err.map(|e| e.to_string()).unwrap_or_default();
            let code = if e.contains("refused") { "connection-refused" } else { "connection-terminated" };
            return Err(failed(code, format!("cannot connect to {}: {e}", Origin::of_url(logical).map(|o| o.to_string()).unwrap_or_default())));
        };
        let _ = tcp.set_nodelay(true);
        let tls = target.scheme() == "https";
        let key = ConnKey { tls, host: host.to_string(), addr };
        let (response, sender) = if tls {
            let name = rustls::pki_types::ServerName::try_from(host.trim_start_matches('[').trim_end_matches(']').to_string())
                .map_err(|e| failed("tls-protocol-error", format!("bad server name {host}: {e}")))?;
            let tls = tokio_rustls::TlsConnector::from(self.tls.clone())
                .connect(name, tcp)
                .await
                .map_err(|e| failed("tls-protocol-error", format!("TLS with {host} failed: {e}")))?;
            roundtrip(tls, request).await?
        } else {
            roundtrip(tcp, request).await?
        };
        Ok((response, key, sender))
    }
}

type Sender = hyper::client::conn::http1::SendRequest<Full<Bytes>>;

/// Which connections are interchangeable: same TLS or not, same host name (the `Host`
/// header and TLS server name), same peer address.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct ConnKey {
    tls: bool,
    host: String,
    addr: SocketAddr,
}

/// Idle HTTP/1.1 keep-alive connections of the live transport, shared by every call of
/// the process: a new TCP (and TLS) connection per request costs more than the rest of
/// a loopback request. Reuse never skips a rule: a request is checked, counted,
/// resolved and address-checked exactly as before, and only then may take an idle
/// connection whose peer is one of the addresses that just passed; what is recorded is
/// the logical exchange, the same whichever connection carried it. A connection is
/// pooled only after its response was read to the end (not after a refusal, a size
/// violation or an error), and is dropped when closed or idle too long.
#[derive(Default)]
struct IdleConnections(std::sync::Mutex<std::collections::HashMap<ConnKey, Vec<(Sender, std::time::Instant)>>>);

/// How long a connection may wait for reuse (servers end idle keep-alives after 5 s or more;
/// a request that meets one closing anyway is resent on a new connection).
const IDLE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(4);
/// Idle connections kept per key.
const MAX_IDLE_PER_KEY: usize = 16;

impl IdleConnections {
    /// An idle, ready connection to one of `addrs` (in their order), if any.
    fn take(&self, tls: bool, host: &str, addrs: &[SocketAddr]) -> Option<(ConnKey, Sender)> {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        for addr in addrs {
            let key = ConnKey { tls, host: host.to_string(), addr: *addr };
            let Some(list) = map.get_mut(&key) else { continue };
            while let Some((sender, since)) = list.pop() {
                if since.elapsed() < IDLE_TIMEOUT && sender.is_ready() {
                    return Some((key, sender));
                }
            }
        }
        None
    }

    /// Keep a connection whose last response was read to the end.
    fn put(&self, key: ConnKey, sender: Sender) {
        if sender.is_closed() {
            return;
        }
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let list = map.entry(key).or_default();
        list.retain(|(s, since)| since.elapsed() < IDLE_TIMEOUT && !s.is_closed());
        if list.len() < MAX_IDLE_PER_KEY {
            list.push((sender, std::time::Instant::now()));
        }
    }
}

/// A request whose destination is still a host under the reserved `.invalid` top-level
/// domain (RFC 2606) after `--upstream` mapping: such names never resolve, so a package
/// uses them as logical origins the user must map (e.g. browse's optional
/// `https://llm.dive.invalid`). The request fails at once, as an ordinary network error
/// the guest sees and may handle (no DNS lookup, not a sandbox violation).
fn unconfigured_reserved(logical: &url::Url, target: &url::Url) -> Option<String> {
    let host = target.host_str()?.trim_end_matches('.').to_ascii_lowercase();
    if host != "invalid" && !host.ends_with(".invalid") {
        return None;
    }
    let origin = Origin::of_url(logical).map(|o| o.to_string()).unwrap_or_else(|_| host.clone());
    Some(format!(
        "{origin} is not configured: map it with --upstream {origin}=URL (names under .invalid are reserved and never looked up)"
    ))
}

/// Take the next start time from an origin's slot: never before `now`, and one
/// `interval` after the previous start.
fn reserve(slot: &mut tokio::time::Instant, now: tokio::time::Instant, interval: std::time::Duration) -> tokio::time::Instant {
    let start = (*slot).max(now);
    *slot = start + interval;
    start
}

async fn roundtrip<S>(
    io: S,
    request: http::Request<Full<Bytes>>,
) -> Result<(http::Response<hyper::body::Incoming>, Sender), TransportError>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, conn) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(io))
        .await
        .map_err(|e| failed("http-protocol-error", format!("HTTP handshake failed: {e}")))?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| failed("http-protocol-error", format!("HTTP request failed: {e}")))?;
    Ok((response, sender))
}

impl Transport for LiveTransport {
    fn exchange<'a>(&'a self, req: &'a RequestRecord, ctx: &'a SendContext) -> TransportFuture<'a> {
        Box::pin(self.send(req, ctx))
    }
}

/// A transport that refuses everything (used where no request may leave, e.g. while
/// listing a package's tools).
pub struct NoNetwork;

impl Transport for NoNetwork {
    fn exchange<'a>(&'a self, req: &'a RequestRecord, _ctx: &'a SendContext) -> TransportFuture<'a> {
        Box::pin(async move {
            Err(TransportError::Violation(Violation::new(
                Rule::Network,
                format!("no network is available here (request to {})", req.url),
            )))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstream_mapping_keeps_path_and_query() {
        let (o, t) = NetworkConfig::parse_upstream("https://rxnav.nlm.nih.gov=http://127.0.0.1:9/mirror/").unwrap();
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
        assert!(NetworkConfig::parse_upstream("https://a.org/path=http://x").is_err());
        assert!(NetworkConfig::parse_upstream("no-equals").is_err());
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
                    assert_eq!(code, "dns-error", "{url}");
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
        assert!(format!("{:?}", error_for_guest("dns-error", &m)).contains("not configured"));

        // Once mapped, the reserved name is just a logical origin: the base URL's path is kept.
        let (o, t) = NetworkConfig::parse_upstream("https://llm.dive.invalid=http://127.0.0.1:9/v1").unwrap();
        let mapped = LiveTransport::new(NetworkConfig { upstreams: vec![(o, t)], ..Default::default() });
        let logical = url::Url::parse("https://llm.dive.invalid/chat/completions").unwrap();
        let target = mapped.target(&logical);
        assert_eq!(target.as_str(), "http://127.0.0.1:9/v1/chat/completions");
        assert_eq!(unconfigured_reserved(&logical, &target), None);
        // Mapping one reserved name onto another does not make it resolvable.
        let (o, t) = NetworkConfig::parse_upstream("https://llm.dive.invalid=https://other.invalid/v1").unwrap();
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
            let (o, t) = NetworkConfig::parse_upstream(&format!("https://api.example.org=http://{addr}")).unwrap();
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
        let (o, t) = NetworkConfig::parse_upstream(&format!("https://api.example.org=http://{addr}")).unwrap();
        let strict = LiveTransport::new(NetworkConfig { upstreams: vec![(o, t)], allow_private: false, rates: vec![] });
        for _ in 0..2 {
            match strict.exchange(&req("https://api.example.org/x".into()), &ctx).await {
                Err(TransportError::Violation(v)) => assert_eq!(v.rule, Rule::PrivateAddress),
                other => panic!("expected a private-address violation, got {other:?}"),
            }
        }
        assert_eq!(conns.load(std::sync::atomic::Ordering::SeqCst), 0);
    }

    #[test]
    fn politeness_spaces_requests_per_origin() {
        let (o, r) = NetworkConfig::parse_rate("https://api.example.org=4").unwrap();
        assert_eq!(r, 4.0);
        assert!(NetworkConfig::parse_rate("https://x.org=0").is_err());
        assert!(NetworkConfig::parse_rate("https://x.org=fast").is_err());
        let live = LiveTransport::new(NetworkConfig { rates: vec![(o.clone(), r)], ..Default::default() });
        assert_eq!(live.rate_for(&o, &CallSecrets::default()), Some(4.0));
        // Five requests asked for at the same instant start 250 ms apart.
        let t0 = tokio::time::Instant::now();
        let mut slot = t0;
        let starts: Vec<_> = (0..5).map(|_| reserve(&mut slot, t0, std::time::Duration::from_millis(250))).collect();
        let offsets: Vec<u128> = starts.iter().map(|s| (*s - t0).as_millis()).collect();
        assert_eq!(offsets, vec![0, 250, 500, 750, 1000]);
        // After a quiet spell a request starts at once.
        let later = t0 + std::time::Duration::from_secs(10);
        assert_eq!(reserve(&mut slot, later, std::time::Duration::from_millis(250)), later);
        let eutils = Origin::of_url(&url::Url::parse("https://eutils.ncbi.nlm.nih.gov/x").unwrap()).unwrap();
        assert_eq!(live.rate_for(&eutils, &CallSecrets::default()), Some(3.0));
        let other = Origin::of_url(&url::Url::parse("https://other.org/").unwrap()).unwrap();
        assert_eq!(live.rate_for(&other, &CallSecrets::default()), None);
    }
}
