//! `make bench`: per-call cost of the sandbox against native baselines, replay
//! throughput, store writes and trace hashing. Figures go in the README.

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use dive_integration_tests::{echo_handler, guest_wasm, make_package, repo_root, Fixture, Reply, Seen};
use dive_runtime::replay::replay;
use dive_runtime::store::Store;
use dive_runtime::record::Recorder;
use dive_runtime::trace::read_trace;
use dive_runtime::{CallOptions, DeterminismConfig, NetworkConfig, Runtime, RuntimeConfig, SecretSource};
use serde_json::json;
use std::time::{Duration, Instant};

const LOGICAL: &str = "https://api.example.test";
const DET: DeterminismConfig = DeterminismConfig { seed: 1, clock_ns: 0 };

struct Env {
    rt: tokio::runtime::Runtime,
    runtime: Runtime,
    _dir: tempfile::TempDir,
    fixture: Fixture,
}

fn env() -> Env {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let pkg = make_package(
        &dir.path().join("probe"),
        &guest_wasm("sandbox-probe"),
        &format!("domain = \"general\"\n[policy]\nnetwork = [\"{LOGICAL}\"]\nmax_http_requests = 1024\n"),
    );
    // One local tool built like the built-in ones (16 imported functions), beside the
    // probe, whose component imports every WASI interface it probes (113).
    let local = make_package(&dir.path().join("local"), &guest_wasm("local-echo"), "domain = \"general\"\n");
    let (runtime, fixture) = rt.block_on(async {
        let fixture = Fixture::start(echo_handler).await;
        let runtime = Runtime::new(RuntimeConfig {
            tool_sources: vec![pkg, local],
            network: NetworkConfig {
                upstreams: vec![dive_runtime::config::parse_upstream(&format!("{LOGICAL}={}", fixture.url())).unwrap()],
                allow_private: true,
                rates: vec![],
            },
            secrets: SecretSource::none(),
            engine: dive_integration_tests::test_engine(),
            ..Default::default()
        })
        .await
        .unwrap();
        (runtime, fixture)
    });
    Env { rt, runtime, _dir: dir, fixture }
}

/// The same work as `probe_echo` done natively: parse args, build and encode the result.
fn native_echo(args: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(args).unwrap();
    let text = v["text"].as_str().unwrap();
    let times = v["times"].as_u64().unwrap_or(1) as usize;
    json!({ "echo": text.repeat(times) }).to_string()
}

/// `n` calls of `tool` spawned at once on the runtime's worker threads, all awaited.
async fn call_batch(runtime: &Runtime, tool: &'static str, args: &str, opts: &CallOptions, n: u64) {
    let tasks: Vec<_> = (0..n)
        .map(|_| {
            let (runtime, args, opts) = (runtime.clone(), args.to_string(), opts.clone());
            tokio::spawn(async move { runtime.call(tool, &args, &opts).await.unwrap() })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
}

fn calls(c: &mut Criterion) {
    let e = env();
    let opts = CallOptions::live(DET);
    let args = json!({"text": "x".repeat(1024), "times": 1}).to_string();
    let mut g = c.benchmark_group("call");
    g.measurement_time(Duration::from_secs(4));
    g.bench_function("sandboxed_local_tool_1KiB", |b| {
        b.iter(|| e.rt.block_on(e.runtime.call("probe_echo", &args, &opts)).unwrap())
    });
    let (mut made_ahead, mut total) = (0u64, 0u64);
    g.bench_function("sandboxed_local_tool_1KiB_lean_component", |b| {
        b.iter(|| {
            let r = e.rt.block_on(e.runtime.call("local_echo", &args, &opts)).unwrap();
            total += 1;
            made_ahead += r.usage.ready_instance as u64;
            r
        })
    });
    if total > 0 {
        eprintln!("lean component: {made_ahead} of {total} calls ran in an instance made ahead of time");
    }
    g.bench_function("native_same_work_1KiB", |b| b.iter(|| native_echo(std::hint::black_box(&args))));
    g.finish();

    // Throughput: batches of calls spawned on the 2 worker threads (criterion reports
    // calls/s; `make bench-compare` prints it).
    const BATCH: u64 = 64;
    let mut g = c.benchmark_group("call_throughput");
    g.measurement_time(Duration::from_secs(4));
    g.throughput(Throughput::Elements(BATCH));
    for (id, tool) in [("sandboxed_local_tool_1KiB_2_threads", "probe_echo"), ("sandboxed_local_tool_1KiB_lean_component_2_threads", "local_echo")] {
        g.bench_function(id, |b| b.iter(|| e.rt.block_on(call_batch(&e.runtime, tool, &args, &opts, BATCH))));
    }
    g.finish();
    let mut g = c.benchmark_group("call");
    g.measurement_time(Duration::from_secs(4));

    let http_args = json!({"url": format!("{LOGICAL}/echo?q=1")}).to_string();
    g.bench_function("sandboxed_http_tool_loopback", |b| {
        b.iter(|| e.rt.block_on(e.runtime.call("probe_http", &http_args, &opts)).unwrap())
    });
    // Native baseline: one hyper request to the same fixture, new connection per call (as the sandbox does).
    let url = format!("{}/echo?q=1", e.fixture.url());
    g.bench_function("native_hyper_request_loopback", |b| {
        b.iter(|| e.rt.block_on(native_get(&url)))
    });
    g.finish();
}

async fn native_get(url: &str) -> Vec<u8> {
    use http_body_util::BodyExt;
    let uri: http::Uri = url.parse().unwrap();
    let addr = format!("{}:{}", uri.host().unwrap(), uri.port_u16().unwrap());
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut send, conn) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tcp)).await.unwrap();
    tokio::spawn(conn);
    let req = http::Request::get(uri.path_and_query().unwrap().as_str())
        .header("host", uri.authority().unwrap().as_str())
        .body(http_body_util::Empty::<bytes::Bytes>::new())
        .unwrap();
    let resp = send.send_request(req).await.unwrap();
    resp.into_body().collect().await.unwrap().to_bytes().to_vec()
}

fn replay_throughput(c: &mut Criterion) {
    let e = env();
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    const N: usize = 256;
    let id = e.rt.block_on(async {
        let rec = Recorder::new(&e.runtime, &store, DET);
        for i in 0..N {
            rec.call("probe_http", &json!({"url": format!("{LOGICAL}/echo?i={i}")}).to_string()).await.unwrap();
        }
        rec.finish().unwrap()
    });
    let local_id = e.rt.block_on(async {
        let rec = Recorder::new(&e.runtime, &store, DET);
        for i in 0..N {
            rec.call("probe_echo", &json!({"text": format!("n{i}")}).to_string()).await.unwrap();
        }
        rec.finish().unwrap()
    });
    let mut g = c.benchmark_group("replay");
    g.throughput(Throughput::Elements(N as u64));
    g.sample_size(20);
    g.bench_function("offline_local_calls_2_threads", |b| {
        b.iter(|| {
            let r = e.rt.block_on(replay(&e.runtime, &store, &local_id, false)).unwrap();
            assert!(r.all_same());
        })
    });
    g.bench_function("offline_http_calls_2_threads", |b| {
        b.iter(|| {
            let r = e.rt.block_on(replay(&e.runtime, &store, &id, false)).unwrap();
            assert!(r.all_same());
        })
    });
    let single = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    g.bench_function("offline_http_calls_current_thread", |b| {
        b.iter(|| {
            let r = single.block_on(replay(&e.runtime, &store, &id, false)).unwrap();
            assert!(r.all_same());
        })
    });
    g.bench_function("offline_local_calls_current_thread", |b| {
        b.iter(|| {
            let r = single.block_on(replay(&e.runtime, &store, &local_id, false)).unwrap();
            assert!(r.all_same());
        })
    });
    g.finish();
    // A plain figure for the README: calls per second over a few rounds.
    let start = Instant::now();
    let rounds = 10;
    for _ in 0..rounds {
        e.rt.block_on(replay(&e.runtime, &store, &id, false)).unwrap();
    }
    let per_sec = (rounds * N) as f64 / start.elapsed().as_secs_f64();
    eprintln!("replay: {per_sec:.0} recorded HTTP calls/s (2 worker threads)");
}

fn store_and_hashing(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let mut g = c.benchmark_group("store");
    for (name, size) in [("put_blob_1KiB", 1usize << 10), ("put_blob_1MiB", 1 << 20)] {
        g.throughput(Throughput::Bytes(size as u64));
        let mut n = 0u64;
        g.bench_function(name, |b| {
            b.iter_batched(
                || {
                    n += 1;
                    let mut v = vec![0u8; size];
                    v[..8].copy_from_slice(&n.to_le_bytes());
                    v
                },
                |v| store.put_blob(&v).unwrap(),
                BatchSize::SmallInput,
            )
        });
    }
    g.finish();

    // Trace hashing against plain BLAKE3 of the same canonical bytes.
    let e = env();
    let tdir = tempfile::tempdir().unwrap();
    let tstore = Store::open(tdir.path()).unwrap();
    let id = e.rt.block_on(async {
        let rec = Recorder::new(&e.runtime, &tstore, DET);
        for i in 0..200 {
            rec.call("probe_http", &json!({"url": format!("{LOGICAL}/echo?i={i}")}).to_string()).await.unwrap();
        }
        rec.finish().unwrap()
    });
    let (doc, _) = read_trace(&tstore, &id).unwrap();
    let bytes = dive_runtime::canonical::to_vec(&doc).unwrap();
    let mut g = c.benchmark_group("trace_hash");
    g.throughput(Throughput::Bytes(bytes.len() as u64));
    g.bench_function("trace_id_200_calls", |b| b.iter(|| doc.id()));
    g.bench_function("plain_blake3_same_bytes", |b| b.iter(|| blake3::hash(std::hint::black_box(&bytes))));
    g.finish();
}

/// A runtime with the one package at `pkg`, which keeps `ready` instances made ahead of time
/// (`DIVE_READY_INSTANCES`, read when packages load; "0": every instance is made on the
/// call path).
fn load_package(rt: &tokio::runtime::Runtime, pkg: &std::path::Path, network: NetworkConfig, ready: &str) -> Runtime {
    std::env::set_var("DIVE_READY_INSTANCES", ready);
    let runtime = rt.block_on(async {
        Runtime::new(RuntimeConfig {
            tool_sources: vec![pkg.to_path_buf()],
            network,
            engine: dive_integration_tests::test_engine(),
            ..Default::default()
        })
        .await
        .unwrap()
    });
    std::env::remove_var("DIVE_READY_INSTANCES");
    runtime
}

/// Python through the code_execution package (warm compiled-component cache, a fresh
/// instance per call) against a `python3 -c` subprocess doing the same.
fn code_execution(c: &mut Criterion) {
    let pkg = repo_root().join("build/tools/code_execution");
    if !pkg.join("dive-tool.toml").is_file() {
        eprintln!("code_execution: {} is missing (run `make pool`); skipped", pkg.display());
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    // Instances made ahead of time (the default), and every instance made on the call
    // path, in the same run.
    let load = |ready: &str| load_package(&rt, &pkg, NetworkConfig::default(), ready);
    let runtime = load("2");
    let on_call_path = load("0");
    let opts = CallOptions::live(DET);
    // The interpreter itself, not a launcher shim (pyenv's adds ~0.2 s per start).
    let python3 = std::process::Command::new("python3")
        .args(["-c", "import sys; print(sys.executable)"])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .filter(|p| !p.is_empty());
    let mut g = c.benchmark_group("code_execution");
    g.sample_size(20);
    g.measurement_time(Duration::from_secs(8));
    let ready_share = std::cell::Cell::new((0u32, 0u32));
    for (name, code, want) in [("print_2_plus_2", "print(2+2)", "4\n"), ("sum_range_1e6", "print(sum(range(10**6)))", "499999500000\n")] {
        let args = json!({ "code": code }).to_string();
        let run = |runtime: &Runtime| {
            let rec = rt.block_on(runtime.call("code_execution", &args, &opts)).unwrap();
            match &rec.outcome {
                dive_runtime::Outcome::Ok(t) => assert!(t.contains(&format!("\"stdout\": {}", json!(want)))),
                other => panic!("{other:?}"),
            }
            rec
        };
        g.bench_function(format!("sandboxed_{name}"), |b| {
            b.iter(|| {
                let rec = run(&runtime);
                let (ready, all) = ready_share.get();
                ready_share.set((ready + u32::from(rec.usage.ready_instance), all + 1));
            })
        });
        g.bench_function(format!("sandboxed_{name}_instance_made_on_call_path"), |b| b.iter(|| run(&on_call_path)));
        // Calls with a pause between them (not timed), so the background thread has
        // made the next instance and dropped the last one before each call starts: the
        // call alone, without that work running beside it (the small snippet only:
        // every iteration also sleeps).
        if name == "print_2_plus_2" {
            for (variant, runtime) in [("", &runtime), ("_instance_made_on_call_path", &on_call_path)] {
                g.bench_function(format!("diag_sandboxed_{name}{variant}_after_a_pause"), |b| {
                    b.iter_batched(|| std::thread::sleep(Duration::from_millis(5)), |()| run(runtime), BatchSize::PerIteration)
                });
            }
        }
        if let Some(python3) = &python3 {
            g.bench_function(format!("python3_subprocess_{name}"), |b| {
                b.iter(|| {
                    let out = std::process::Command::new(python3).arg("-c").arg(code).output().unwrap();
                    assert_eq!(String::from_utf8_lossy(&out.stdout), want);
                })
            });
        }
    }
    g.finish();
    let (ready, all) = ready_share.get();
    eprintln!("code_execution: {ready} of {all} default calls ran in an instance made ahead of time");
}

/// Issue #5: per-call overhead of a real API tool against a loopback upstream. The same
/// fixture answers a small JSON body to (a) the built-in `hugo_genes` tool through
/// `Runtime::call` (fresh sandbox per call, warm compiled-component cache, `--upstream`
/// override + allow_private, as `dive --upstream ... call` runs it) and (b) a plain
/// `reqwest` GET of the very URL the tool requested with a reused client, and (c) one
/// hyper request on a new connection. A reqwest client built per call is left out: it
/// costs ~8 ms (TLS root loading), which would swamp the figure. The medians and their
/// difference are printed at the end.
fn api_call_overhead(c: &mut Criterion) {
    const ORIGIN: &str = "https://clinicaltables.nlm.nih.gov";
    let pkg = repo_root().join("build/tools/clinical_tables");
    if !pkg.join("dive-tool.toml").is_file() {
        eprintln!("api_call_overhead: {} is missing (run `make pool`); skipped", pkg.display());
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    // The service's answer format: [total, codes, extras, display rows].
    let body = json!([2, ["BRCA1", "BRCA2"], null, [["BRCA1", "BRCA1 DNA repair associated"], ["BRCA2", "BRCA2 DNA repair associated"]]]);
    let fixture = rt.block_on(Fixture::start(move |_s: &Seen| Reply::json(200, &body)));
    let load = |ready: &str| {
        let network = NetworkConfig {
            upstreams: vec![dive_runtime::config::parse_upstream(&format!("{ORIGIN}={}", fixture.url())).unwrap()],
            allow_private: true,
            rates: vec![],
        };
        load_package(&rt, &pkg, network, ready)
    };
    let runtime = load("2");
    let on_call_path = load("0");
    let opts = CallOptions::live(DET);
    let args = json!({"terms": "brca"}).to_string();
    let call = || {
        let rec = rt.block_on(runtime.call("hugo_genes", &args, &opts)).unwrap();
        assert!(matches!(rec.outcome, dive_runtime::Outcome::Ok(_)), "{:?}", rec.outcome);
        rec
    };
    // The URL the tool really requested, for the plain baselines.
    call();
    let url = format!("{}{}", fixture.url(), fixture.seen().last().unwrap().path_and_query);
    // The workspace builds reqwest with deriver's `rustls-no-provider`: a client cannot be
    // built without a process-wide crypto provider (never used here: plain http).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let get = |client: &reqwest::Client| {
        rt.block_on(async {
            let resp = client.get(&url).send().await.unwrap();
            assert!(resp.status().is_success());
            resp.bytes().await.unwrap()
        })
    };

    let mut g = c.benchmark_group("api_call_overhead");
    g.measurement_time(Duration::from_secs(5));
    g.bench_function("sandboxed_hugo_genes", |b| b.iter(call));
    g.bench_function("reqwest_reused_client", |b| b.iter(|| get(&client)));
    g.bench_function("hyper_new_connection", |b| b.iter(|| rt.block_on(native_get(&url))));
    g.bench_function("diag_sandboxed_instance_made_on_call_path", |b| {
        b.iter(|| rt.block_on(on_call_path.call("hugo_genes", &args, &opts)).unwrap())
    });

    // Where the sandboxed time goes: the same call answered by a canned transport (the
    // sandbox without the network), and the host's live transport alone (the network
    // path without the sandbox) sending the request the tool made.
    use dive_runtime::exchange::{RequestRecord, ResponseRecord};
    use dive_runtime::transport::{LiveTransport, SendContext, Transport, TransportFuture};
    use dive_runtime::CallSecrets;
    struct Canned(ResponseRecord);
    impl Transport for Canned {
        fn exchange<'a>(&'a self, _req: &'a RequestRecord, _ctx: &'a SendContext) -> TransportFuture<'a> {
            Box::pin(async move { Ok(self.0.clone()) })
        }
    }
    let recorded = call().exchanges.remove(0);
    let dive_runtime::exchange::HttpOutcome::Response(answer) = recorded.outcome.clone() else { panic!() };
    let canned = CallOptions { transport: Some(std::sync::Arc::new(Canned(answer))), ..CallOptions::live(DET) };
    g.bench_function("diag_sandbox_canned_transport", |b| {
        b.iter(|| rt.block_on(runtime.call("hugo_genes", &args, &canned)).unwrap())
    });
    let live = LiveTransport::new(NetworkConfig {
        upstreams: vec![dive_runtime::config::parse_upstream(&format!("{ORIGIN}={}", fixture.url())).unwrap()],
        allow_private: true,
        rates: vec![],
    });
    let send_ctx = SendContext { secrets: CallSecrets::default(), max_response_bytes: 8 << 20 };
    g.bench_function("diag_live_transport_alone", |b| {
        b.iter(|| rt.block_on(live.exchange(&recorded.request, &send_ctx)).unwrap())
    });
    g.finish();

    // Medians of the same run, measured directly and interleaved (one of each per round)
    // so load from elsewhere on the machine falls on all three alike.
    let mut times: [Vec<Duration>; 3] = Default::default();
    let mut ready = 0;
    for _ in 0..2000 {
        let s = Instant::now();
        ready += u32::from(call().usage.ready_instance);
        times[0].push(s.elapsed());
        let s = Instant::now();
        get(&client);
        times[1].push(s.elapsed());
        let s = Instant::now();
        rt.block_on(native_get(&url));
        times[2].push(s.elapsed());
    }
    let [sandboxed, reused, fresh] = times.map(|mut t| {
        t.sort();
        t[t.len() / 2]
    });
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    eprintln!(
        "api_call_overhead (median of 2000, interleaved): sandboxed {:.0} µs, reqwest reused client {:.0} µs, hyper new connection {:.0} µs; the sandbox adds {:.0} µs over reqwest; {ready} of 2000 sandboxed calls ran in an instance made ahead of time",
        us(sandboxed),
        us(reused),
        us(fresh),
        us(sandboxed) - us(reused)
    );
}

criterion_group!(benches, calls, replay_throughput, store_and_hashing, code_execution, api_call_overhead);
criterion_main!(benches);
