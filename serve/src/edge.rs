//! The network edge both servers share: where to listen (loopback unless a token
//! guards the port), the bearer token, bounded request bodies, JSON errors that name
//! the problem, and a graceful stop on SIGINT/SIGTERM.

use crate::ServeError;
use bytes::Bytes;
use http::{header, Request, Response, StatusCode};
use http_body_util::{combinators::BoxBody, BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

/// The body type of every response.
pub type Body = BoxBody<Bytes, Infallible>;

/// Largest request body either server reads (1 MiB): tool arguments and answers are small.
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// After the calls in flight have finished, how long a stop lets their answers reach
/// the wire (rmcp writes a result after the handler returns) before sessions are closed.
pub const FLUSH_GRACE: Duration = Duration::from_millis(300);

/// Largest token file read.
const MAX_TOKEN_FILE_BYTES: u64 = 4096;

/// How long a stop waits for calls in flight before it gives up on them.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(30);

/// Where to listen and who may talk to us.
#[derive(Debug, Clone)]
pub struct Edge {
    /// The address to bind.
    pub addr: SocketAddr,
    /// The bearer token every request must carry, when one is set.
    pub token: Option<Arc<str>>,
}

impl Edge {
    /// Check `--listen` and `--token-file`: an address off this machine needs a token.
    pub fn new(listen: Option<&str>, default_port: u16, token_file: Option<&Path>) -> Result<Edge, ServeError> {
        let addr = match listen {
            None => SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), default_port),
            Some(s) => parse_listen(s)?,
        };
        let token = token_file.map(read_token).transpose()?;
        if !addr.ip().is_loopback() && token.is_none() {
            return Err(ServeError::ExposedWithoutToken { addr });
        }
        Ok(Edge { addr, token: token.map(Arc::from) })
    }

    /// Whether a request carries the token (always, when none is set).
    pub fn authorized<B>(&self, req: &Request<B>) -> bool {
        let Some(token) = &self.token else { return true };
        let given = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or_default();
        constant_time_eq(given.as_bytes(), token.as_bytes())
    }
}

/// `HOST:PORT`, `[V6]:PORT` or a bare port (on 127.0.0.1).
fn parse_listen(s: &str) -> Result<SocketAddr, ServeError> {
    if let Ok(port) = s.parse::<u16>() {
        return Ok(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port));
    }
    if let Some(port) = s.strip_prefix("localhost:").and_then(|p| p.parse::<u16>().ok()) {
        return Ok(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port));
    }
    s.parse().map_err(|_| ServeError::BadListen { given: s.to_string() })
}

fn read_token(path: &Path) -> Result<String, ServeError> {
    let bad = |message: String| ServeError::TokenFile { path: path.to_path_buf(), message };
    let meta = std::fs::metadata(path).map_err(|e| bad(e.to_string()))?;
    if !meta.is_file() || meta.len() > MAX_TOKEN_FILE_BYTES {
        return Err(bad(format!("must be a regular file of at most {MAX_TOKEN_FILE_BYTES} bytes")));
    }
    let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
    let token = text.trim();
    if token.len() < 16 || token.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad("the token must be one line of at least 16 visible characters".into()));
    }
    Ok(token.to_string())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A JSON response.
pub fn json(status: StatusCode, value: &serde_json::Value) -> Response<Body> {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Full::new(Bytes::from(value.to_string())).boxed())
        .expect("a static response builds")
}

/// A JSON error `{"error": {"code", "message"}}` with the HTTP status it stands for.
pub fn error(status: StatusCode, code: &str, message: impl Into<String>) -> Response<Body> {
    let mut r = json(status, &serde_json::json!({ "error": { "code": code, "message": message.into() } }));
    if status == StatusCode::UNAUTHORIZED {
        r.headers_mut().insert(header::WWW_AUTHENTICATE, http::HeaderValue::from_static("Bearer"));
    }
    r
}

/// The 401 every request without the token gets.
pub fn unauthorized() -> Response<Body> {
    error(
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        "this server needs `Authorization: Bearer <token>` (the token in the server's --token-file)",
    )
}

/// Read a request body of at most [`MAX_BODY_BYTES`]; too large is a 413 JSON error.
pub async fn read_body(req: Request<Incoming>) -> Result<Bytes, Box<Response<Body>>> {
    let too_large = || {
        Box::new(error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            format!("the request body is over {MAX_BODY_BYTES} bytes"),
        ))
    };
    if declares_oversize(&req) {
        return Err(Box::new(refuse_oversize(req).await));
    }
    match Limited::new(req.into_body(), MAX_BODY_BYTES).collect().await {
        Ok(b) => Ok(b.to_bytes()),
        Err(e) if e.downcast_ref::<http_body_util::LengthLimitError>().is_some() => Err(too_large()),
        Err(e) => Err(Box::new(error(StatusCode::BAD_REQUEST, "bad_body", format!("cannot read the request body: {e}")))),
    }
}

/// Most of an oversize body read (and dropped) before the 413, so that a client still
/// writing it can read the answer instead of meeting a closed connection.
const DRAIN_BYTES: usize = 8 << 20;

/// Whether a request's Content-Length is over [`MAX_BODY_BYTES`].
pub fn declares_oversize<B>(req: &Request<B>) -> bool {
    req.headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok())
        .is_some_and(|n| n > MAX_BODY_BYTES as u64)
}

/// The 413 for a body over [`MAX_BODY_BYTES`], after reading (and dropping) up to
/// [`DRAIN_BYTES`] of it.
pub async fn refuse_oversize(req: Request<Incoming>) -> Response<Body> {
    let _ = Limited::new(req.into_body(), DRAIN_BYTES).collect().await;
    error(StatusCode::PAYLOAD_TOO_LARGE, "body_too_large", format!("the request body is over {MAX_BODY_BYTES} bytes"))
}

/// A request handler: one per server, shared by every connection.
pub type Handler = Arc<dyn Fn(Request<Incoming>) -> Pin<Box<dyn Future<Output = Response<Body>> + Send>> + Send + Sync>;

/// Bind the edge's address; prints nothing (the caller says where it listens).
pub async fn bind(edge: &Edge) -> Result<TcpListener, ServeError> {
    TcpListener::bind(edge.addr).await.map_err(|source| ServeError::Bind { addr: edge.addr, source })
}

/// Serve HTTP/1.1 connections until `stop` resolves; the token is checked before the
/// handler sees a request. Connections still open at the stop are closed gracefully
/// (in-flight requests finish, up to [`DRAIN_TIMEOUT`]).
pub async fn serve(listener: TcpListener, edge: Edge, handler: Handler, stop: impl Future<Output = ()>) {
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    tokio::pin!(stop);
    loop {
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut stop => break,
        };
        let _ = stream.set_nodelay(true);
        let (edge, handler) = (edge.clone(), handler.clone());
        let service = hyper::service::service_fn(move |req: Request<Incoming>| {
            let (edge, handler) = (edge.clone(), handler.clone());
            async move {
                if !edge.authorized(&req) {
                    return Ok::<_, Infallible>(unauthorized());
                }
                Ok(handler(req).await)
            }
        });
        let conn = hyper::server::conn::http1::Builder::new()
            .timer(hyper_util::rt::TokioTimer::new())
            .header_read_timeout(Duration::from_secs(30))
            .serve_connection(TokioIo::new(stream), service);
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!("connection ended: {e}");
            }
        });
    }
    drop(listener);
    let _ = tokio::time::timeout(DRAIN_TIMEOUT, graceful.shutdown()).await;
}

/// Resolves at the first SIGINT or SIGTERM.
pub async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let (Ok(mut int), Ok(mut term)) = (signal(SignalKind::interrupt()), signal(SignalKind::terminate())) else {
            return std::future::pending().await;
        };
        tokio::select! {
            _ = int.recv() => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listen_forms() {
        assert_eq!(parse_listen("8760").unwrap().to_string(), "127.0.0.1:8760");
        assert_eq!(parse_listen("localhost:9").unwrap().to_string(), "127.0.0.1:9");
        assert_eq!(parse_listen("[::1]:9").unwrap().to_string(), "[::1]:9");
        assert!(parse_listen("example.org:80").is_err());
        assert!(Edge::new(Some("0.0.0.0:0"), 0, None).is_err());
        assert!(Edge::new(Some("127.0.0.1:0"), 0, None).is_ok());
    }

    #[test]
    fn token_compare() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
