//! wasi:http's outgoing handler, sending on the call's own task.
//!
//! wasmtime-wasi-http's `outgoing-handler.handle` spawns every request as a tokio task
//! (and a second task for the response body), so a call awaited from outside a runtime
//! worker — `block_on`, as `dive call` and most embedders do — pays thread hand-offs
//! for each request: waking a worker to send, and being woken back for the answer.
//! Here `handle` only takes the request; it is sent when the guest waits for the answer
//! (polling the `future-incoming-response`), inside the call, on the task that runs it.
//! Every other part of wasi:http/types (fields, bodies, streams, responses) stays
//! wasmtime-wasi-http's: only the `future-incoming-response` resource and the handler
//! are defined here, so the guest-visible interface is exactly the same.
//!
//! A request with a body (the guest asked for its `outgoing-body`) is the exception:
//! the guest writes the body while or after the request is sent, so something must read
//! it meanwhile, and such a request is sent from a task of its own as before.
//!
//! A request without a body the guest never waits for is never sent (wasmtime-wasi-http
//! aborts such a request when its future is dropped; here it simply never starts).

use super::network::{Answer, HttpShared};
use super::CallCtx;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use wasmtime::component::{Linker, Resource, ResourceType};
use wasmtime::StoreContextMut;
use wasmtime_wasi::p2::{DynPollable, Pollable};
use wasmtime_wasi_http::p2::bindings::http::types::{self, ErrorCode, Method, Scheme};
use wasmtime_wasi_http::p2::bindings::LinkOptions;
use wasmtime_wasi_http::p2::body::HostIncomingBody;
use wasmtime_wasi_http::p2::types::{HostIncomingResponse, HostOutgoingRequest};
use wasmtime_wasi_http::{FieldMap, RequestOptions, WasiBody, WasiHttp, WasiHttpView};

/// The wasi:http version whose interfaces are defined here (wasmtime-wasi-http 48's;
/// the linker serves every 0.2.x import from it).
const TYPES: &str = "wasi:http/types@0.2.12";
const HANDLER: &str = "wasi:http/outgoing-handler@0.2.12";


/// The host side of a guest's `future-incoming-response`.
pub struct PendingResponse {
    state: State,
}

enum State {
    /// Not answered yet; polled when the guest waits.
    Sending(Pin<Box<dyn Future<Output = Answer> + Send>>),
    Answered(Answer),
    /// The guest took the answer (`get` a second time is an error for the guest).
    Taken,
}

#[async_trait::async_trait]
impl Pollable for PendingResponse {
    async fn ready(&mut self) {
        if let State::Sending(sending) = &mut self.state {
            // Cancel-safe: if the guest's poll returns for another pollable first, the
            // request stays here, half-sent, until the guest waits again.
            let answer = sending.as_mut().await;
            self.state = State::Answered(answer);
        }
    }
}

/// Add wasi:http (types and outgoing-handler) to `linker`, with the handler of this
/// module in place of wasmtime-wasi-http's.
pub fn add_to_linker(linker: &mut Linker<CallCtx>) -> wasmtime::Result<()> {
    types::add_to_linker::<CallCtx, WasiHttp>(linker, &LinkOptions::default().into(), CallCtx::http)?;
    // Replace wasmtime-wasi-http's future-incoming-response (the resource and its two
    // methods) with `PendingResponse`.
    linker.allow_shadowing(true);
    let defined = define_pending_response(linker);
    linker.allow_shadowing(false);
    defined?;
    linker.instance(HANDLER)?.func_wrap("handle", handle)?;
    Ok(())
}

fn define_pending_response(linker: &mut Linker<CallCtx>) -> wasmtime::Result<()> {
    let mut types = linker.instance(TYPES)?;
    types.resource(
        "future-incoming-response",
        ResourceType::host::<PendingResponse>(),
        |mut store, rep| {
            store.data_mut().table.delete(Resource::<PendingResponse>::new_own(rep))?;
            Ok(())
        },
    )?;
    types.func_wrap(
        "[method]future-incoming-response.subscribe",
        |mut store: StoreContextMut<'_, CallCtx>, (this,): (Resource<PendingResponse>,)| {
            let pollable: Resource<DynPollable> = wasmtime_wasi::p2::subscribe(&mut store.data_mut().table, this)?;
            Ok((pollable,))
        },
    )?;
    types.func_wrap("[method]future-incoming-response.get", get)?;
    Ok(())
}

type GetResult = Option<Result<Result<Resource<HostIncomingResponse>, ErrorCode>, ()>>;

fn get(
    mut store: StoreContextMut<'_, CallCtx>,
    (this,): (Resource<PendingResponse>,),
) -> wasmtime::Result<(GetResult,)> {
    let view = store.data_mut().http();
    let pending = view.table.get_mut(&this)?;
    let answer = match std::mem::replace(&mut pending.state, State::Taken) {
        State::Answered(answer) => answer,
        State::Taken => return Ok((Some(Err(())),)),
        // A guest that asks again and again without waiting on the pollable still moves
        // its request on (each `get` polls it once), as it would with a spawned task.
        State::Sending(mut sending) => match wasmtime_wasi::runtime::poll_noop(Pin::new(&mut sending)) {
            Some(answer) => answer,
            None => {
                pending.state = State::Sending(sending);
                return Ok((None,));
            }
        },
    };
    let response = match answer {
        Ok(response) => response,
        Err(code) => return Ok((Some(Ok(Err(code))),)),
    };
    let (parts, body) = response.into_parts();
    let headers = FieldMap::new_immutable(view.hooks, parts.headers);
    let response = view.table.push(HostIncomingResponse {
        status: parts.status.as_u16(),
        headers,
        body: Some(HostIncomingBody::new(body)),
    })?;
    Ok((Some(Ok(Ok(response))),))
}

fn handle(
    mut store: StoreContextMut<'_, CallCtx>,
    (request, options): (Resource<HostOutgoingRequest>, Option<Resource<RequestOptions>>),
) -> wasmtime::Result<(Result<Resource<PendingResponse>, ErrorCode>,)> {
    let ctx = store.data_mut();
    // Timeouts in request options are the host's business (the call's timeout_ms).
    if let Some(options) = options {
        ctx.table.delete(options)?;
    }
    let request = ctx.table.delete(request)?;
    let has_body = request.body.is_some();
    let request = match to_http(request) {
        Ok(request) => request,
        Err(code) => return Ok((Err(code),)),
    };
    let shared: Arc<HttpShared> = ctx.hooks.shared.clone();
    // Numbered now, in the order the guest made its requests.
    let seq = shared.monitor.next_request();
    let send = async move { shared.send(seq, request).await };
    let sending: Pin<Box<dyn Future<Output = Answer> + Send>> = if has_body {
        // The guest may still be writing the body, which it can only do while something
        // reads it: such a request is sent from a task of its own, as wasmtime-wasi-http
        // does (dropping the guest's future aborts the task).
        Box::pin(wasmtime_wasi::runtime::spawn(send))
    } else {
        Box::pin(send)
    };
    let pending = ctx.table.push(PendingResponse {
        state: State::Sending(sending),
    })?;
    Ok((Ok(pending),))
}

/// The guest's request as an `http::Request`: the scheme defaults to https; headers and
/// body are the guest's (the transport sets `host` from the URL it sends to).
fn to_http(request: HostOutgoingRequest) -> Result<http::Request<WasiBody>, ErrorCode> {
    let method = match request.method {
        Method::Get => http::Method::GET,
        Method::Head => http::Method::HEAD,
        Method::Post => http::Method::POST,
        Method::Put => http::Method::PUT,
        Method::Delete => http::Method::DELETE,
        Method::Connect => http::Method::CONNECT,
        Method::Options => http::Method::OPTIONS,
        Method::Trace => http::Method::TRACE,
        Method::Patch => http::Method::PATCH,
        Method::Other(m) => http::Method::from_bytes(m.as_bytes()).map_err(|_| ErrorCode::HttpRequestMethodInvalid)?,
    };
    let scheme = match request.scheme {
        None | Some(Scheme::Https) => http::uri::Scheme::HTTPS,
        Some(Scheme::Http) => http::uri::Scheme::HTTP,
        Some(Scheme::Other(_)) => return Err(ErrorCode::HttpProtocolError),
    };
    let authority = request.authority.unwrap_or_default();
    let mut uri = http::Uri::builder().scheme(scheme).authority(authority.as_str());
    if let Some(path) = request.path_with_query {
        uri = uri.path_and_query(path);
    }
    let uri = uri.build().map_err(|_| ErrorCode::HttpRequestUriInvalid)?;
    let mut builder = http::Request::builder().method(method).uri(uri);
    for (name, value) in request.headers.iter() {
        builder = builder.header(name, value);
    }
    let body = match request.body {
        Some(body) => body,
        None => empty_body(),
    };
    builder
        .body(body)
        .map_err(|e| ErrorCode::InternalError(Some(format!("cannot build the request: {e}"))))
}

fn empty_body() -> WasiBody {
    use http_body_util::BodyExt;
    http_body_util::Empty::new().map_err(|never| match never {}).boxed_unsync()
}
