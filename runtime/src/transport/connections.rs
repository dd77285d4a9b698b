//! Connections of the live transport: opening one (TCP, then TLS for https), one
//! HTTP/1.1 round trip on it, and the idle keep-alive connections shared by every call
//! of the process.

use super::TransportError;
use bytes::Bytes;
use dive_evidence::exchange::FailureCode;
use http_body_util::Full;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The sending half of an HTTP/1.1 connection.
pub type Sender = hyper::client::conn::http1::SendRequest<Full<Bytes>>;

/// A response still being received, and the connection it came on.
pub type Received = (http::Response<hyper::body::Incoming>, Sender);

/// Which connections are interchangeable: same TLS or not, same host name (the `Host`
/// header and TLS server name), same peer address.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ConnKey {
    /// https.
    pub tls: bool,
    /// The host name the request was for.
    pub host: String,
    /// The peer.
    pub addr: SocketAddr,
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
pub struct IdleConnections(Mutex<HashMap<ConnKey, Vec<(Sender, Instant)>>>);

/// How long a connection may wait for reuse (servers end idle keep-alives after 5 s or more;
/// a request that meets one closing anyway is resent on a new connection).
const IDLE_TIMEOUT: Duration = Duration::from_secs(4);
/// Idle connections kept per key.
const MAX_IDLE_PER_KEY: usize = 16;

impl IdleConnections {
    /// An idle, ready connection to one of `addrs` (in their order), if any.
    pub fn take(&self, tls: bool, host: &str, addrs: &[SocketAddr]) -> Option<(ConnKey, Sender)> {
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
    pub fn put(&self, key: ConnKey, sender: Sender) {
        if sender.is_closed() {
            return;
        }
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let list = map.entry(key).or_default();
        list.retain(|(s, since)| since.elapsed() < IDLE_TIMEOUT && !s.is_closed());
        if list.len() < MAX_IDLE_PER_KEY {
            list.push((sender, Instant::now()));
        }
    }
}

/// Open a new connection to the first of `addrs` (already checked) that accepts, with
/// TLS (`tls` = the client configuration) for https, and send `request` on it. `origin`
/// names the destination in messages.
pub async fn connect_and_send(
    tls: Option<&Arc<rustls::ClientConfig>>,
    host: &str,
    addrs: &[SocketAddr],
    origin: &str,
    request: http::Request<Full<Bytes>>,
) -> Result<(Received, ConnKey), TransportError> {
    let (tcp, addr) = connect_first(addrs, origin).await?;
    let _ = tcp.set_nodelay(true);
    let key = ConnKey { tls: tls.is_some(), host: host.to_string(), addr };
    let received = match tls {
        Some(config) => roundtrip(handshake_tls(config, host, tcp).await?, request).await?,
        None => roundtrip(tcp, request).await?,
    };
    Ok((received, key))
}

/// A TCP connection to the first address that accepts one.
async fn connect_first(addrs: &[SocketAddr], origin: &str) -> Result<(tokio::net::TcpStream, SocketAddr), TransportError> {
    let mut last_err = None;
    for addr in addrs {
        match tokio::net::TcpStream::connect(addr).await {
            Ok(s) => return Ok((s, *addr)),
            Err(e) => last_err = Some(e),
        }
    }
    let refused = last_err.as_ref().is_some_and(|e| e.kind() == std::io::ErrorKind::ConnectionRefused);
    let code = if refused { FailureCode::ConnectionRefused } else { FailureCode::ConnectionTerminated };
    let e = last_err.map(|e| e.to_string()).unwrap_or_default();
    Err(TransportError::failed(code, format!("cannot connect to {origin}: {e}")))
}

/// TLS over `tcp` for `host`, checked against the web's roots.
async fn handshake_tls(
    config: &Arc<rustls::ClientConfig>,
    host: &str,
    tcp: tokio::net::TcpStream,
) -> Result<tokio_rustls::client::TlsStream<tokio::net::TcpStream>, TransportError> {
    let name = rustls::pki_types::ServerName::try_from(host.trim_start_matches('[').trim_end_matches(']').to_string())
        .map_err(|e| TransportError::failed(FailureCode::TlsProtocolError, format!("bad server name {host}: {e}")))?;
    tokio_rustls::TlsConnector::from(config.clone())
        .connect(name, tcp)
        .await
        .map_err(|e| TransportError::failed(FailureCode::TlsProtocolError, format!("TLS with {host} failed: {e}")))
}

/// One HTTP/1.1 request on a new connection over `io`; the connection is driven by a
/// task of its own until it closes.
async fn roundtrip<S>(io: S, request: http::Request<Full<Bytes>>) -> Result<Received, TransportError>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, conn) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(io))
        .await
        .map_err(|e| TransportError::failed(FailureCode::HttpProtocolError, format!("HTTP handshake failed: {e}")))?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| TransportError::failed(FailureCode::HttpProtocolError, format!("HTTP request failed: {e}")))?;
    Ok((response, sender))
}
