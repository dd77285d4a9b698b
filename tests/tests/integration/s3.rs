//! Beyond one machine (ARCHITECTURE.md §12) against a real S3-compatible server on
//! loopback (moto's server mode, started here from the project virtualenv): sharded
//! builds into one bucket merge to the one-process file, replay and reverify read the
//! bucket with the upstream gone, fsck finds a tampered object, 503s from a proxy in
//! front of the server are retried, and the Kubernetes manifests wire the completion
//! index to `--shard`. Nothing here reaches a public host.

use dive_integration_tests::{builtin_pool_dir, dive_bin, python, repo_root, Fixture, Out};
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A moto S3 server on a free loopback port, killed on drop.
struct Moto {
    child: std::process::Child,
    addr: SocketAddr,
}

impl Moto {
    fn start() -> Moto {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = std::process::Command::new(python())
            .args(["-m", "moto.server", "-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("the project virtualenv has moto (make setup)");
        let moto = Moto { child, addr: SocketAddr::from(([127, 0, 0, 1], port)) };
        let deadline = Instant::now() + Duration::from_secs(60);
        while http(moto.addr, "GET", "/", b"").map(|(s, _)| s) != Some(200) {
            assert!(Instant::now() < deadline, "moto did not start on {}", moto.addr);
            std::thread::sleep(Duration::from_millis(200));
        }
        moto
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Create a bucket with a fresh name (so no earlier run's local cache applies).
    fn bucket(&self) -> String {
        let name = format!("dive-{}", &blake3::hash(format!("{:?}{}", Instant::now(), std::process::id()).as_bytes()).to_hex()[..12]);
        assert_eq!(http(self.addr, "PUT", &format!("/{name}"), b"").map(|(s, _)| s), Some(200), "create bucket {name}");
        name
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One plain HTTP/1.1 request (moto accepts unsigned requests): (status, body).
fn http(addr: SocketAddr, method: &str, path: &str, body: &[u8]) -> Option<(u16, Vec<u8>)> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(30))).ok()?;
    let head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len());
    s.write_all(head.as_bytes()).ok()?;
    s.write_all(body).ok()?;
    let mut out = Vec::new();
    s.read_to_end(&mut out).ok()?;
    let text = String::from_utf8_lossy(&out);
    let status = text.split(' ').nth(1)?.parse().ok()?;
    let at = out.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    Some((status, out[at..].to_vec()))
}

/// boto3 (from the virtualenv, beside moto) for reads and writes that must be signed:
/// objects are private, so moto refuses unsigned requests for them.
const BOTO: &str = r#"
import boto3, sys
s3 = boto3.client("s3", endpoint_url=sys.argv[1], aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1")
op, bucket, key = sys.argv[2:5]
if op == "get":
    sys.stdout.buffer.write(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
else:
    s3.put_object(Bucket=bucket, Key=key, Body=sys.stdin.buffer.read())
"#;

impl Moto {
    /// An object's bytes, or `None` when boto3 cannot read it.
    fn get(&self, bucket: &str, key: &str) -> Option<Vec<u8>> {
        let o = std::process::Command::new(python()).args(["-c", BOTO, &self.url(), "get", bucket, key]).output().unwrap();
        o.status.success().then_some(o.stdout)
    }

    /// Overwrite an object, as someone with the bucket's credentials could.
    fn put(&self, bucket: &str, key: &str, body: &[u8]) {
        let mut child = std::process::Command::new(python()).args(["-c", BOTO, &self.url(), "put", bucket, key]).stdin(std::process::Stdio::piped()).spawn().unwrap();
        child.stdin.take().unwrap().write_all(body).unwrap();
        assert!(child.wait().unwrap().success(), "boto3 put {key}");
    }
}

fn ok(o: &Out, what: &str) {
    assert_eq!(o.code, 0, "{what}: exit {}\nstdout: {}\nstderr: {}", o.code, o.stdout, o.stderr);
}

/// Run `dive` with the built-in pool, `home` as HOME (so the S3 blob cache is fresh per
/// test) and an S3 endpoint.
async fn dive(home: &Path, endpoint: &str, args: &[&str]) -> Out {
    let o = dive_command(home, endpoint, args).output().await.unwrap();
    Out::of(o)
}

fn dive_command(home: &Path, endpoint: &str, args: &[&str]) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(dive_bin());
    cmd.args(args)
        .current_dir(home)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DIVE_BUILTIN_TOOLS", builtin_pool_dir())
        .env("HOME", home)
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ENDPOINT_URL", endpoint);
    cmd
}

fn synth_args<'a>(store: &'a str, out: &'a str, count: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut a = vec!["--store", store, "synth", "--domain", "biological", "--local-only", "--count", count, "--seed", "7", "--workers", "2", "--out", out];
    a.extend_from_slice(extra);
    a
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sharded_builds_into_s3_merge_to_the_one_process_file() {
    let moto = Moto::start();
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let (ep, bucket) = (moto.url(), moto.bucket());
    let s3 = format!("s3://{bucket}/evidence");
    // The reference: one process, a directory store.
    ok(&dive(h, &ep, &synth_args("dir", "one", "14", &[])).await, "one-process build");
    let one = std::fs::read(h.join("one/tasks.jsonl")).unwrap();
    // The same run into the bucket: same bytes.
    ok(&dive(h, &ep, &synth_args(&s3, "one-s3", "14", &[])).await, "one-process build into S3");
    assert_eq!(std::fs::read(h.join("one-s3/tasks.jsonl")).unwrap(), one, "the object store does not change the tasks");
    for n in 1..=3u32 {
        let out = format!("n{n}");
        // All shards of a run at once, into the same prefix: they write many of the same
        // objects concurrently.
        let mut running = Vec::new();
        for k in 0..n {
            let (spec, publish) = (format!("{k}/{n}"), format!("runs/{out}"));
            let args = synth_args(&s3, &out, "14", &["--shard", &spec, "--publish", &publish]);
            let child = dive_command(h, &ep, &args).stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped()).spawn().unwrap();
            running.push(child.wait_with_output());
        }
        for (k, r) in futures::future::join_all(running).await.into_iter().enumerate() {
            let r = r.unwrap();
            assert!(r.status.success(), "shard {k}/{n}: {}", String::from_utf8_lossy(&r.stderr));
        }
        // Given in any order.
        let files: Vec<String> = (0..n).rev().map(|k| format!("{out}/tasks.shard-{k}-of-{n}.jsonl")).collect();
        let merged_path = format!("{out}/merged.jsonl");
        let mut args = vec!["merge", merged_path.as_str()];
        args.extend(files.iter().map(String::as_str));
        ok(&dive(h, &ep, &args).await, &format!("merge of {n} shard(s)"));
        assert_eq!(std::fs::read(h.join(&merged_path)).unwrap(), one, "{n} shard(s) merge to the one-process file");
        // The published copies in the bucket merge to the same file, written to the bucket.
        let published: Vec<String> = (0..n).map(|k| format!("store:runs/{out}/tasks.shard-{k}-of-{n}.jsonl")).collect();
        let target = format!("store:runs/{out}/tasks.jsonl");
        let mut args = vec!["--store", &s3, "merge", &target];
        args.extend(published.iter().map(String::as_str));
        ok(&dive(h, &ep, &args).await, "merge from the store");
        let merged = moto.get(&bucket, &format!("evidence/files/runs/{out}/tasks.jsonl"));
        assert!(merged.as_deref() == Some(one.as_slice()), "the merged file in the bucket is the one-process file");
    }
    // A shard set with one missing, or from another run, is refused.
    let r = dive(h, &ep, &["merge", "x.jsonl", "n3/tasks.shard-0-of-3.jsonl", "n3/tasks.shard-1-of-3.jsonl"]).await;
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("shard 2/3 is missing"), "{}", r.stderr);
    let r = dive(h, &ep, &["merge", "x.jsonl", "n2/tasks.shard-0-of-2.jsonl", "n3/tasks.shard-1-of-3.jsonl"]).await;
    assert_eq!(r.code, 2, "{}", r.stderr);
    // Shards that stop short of the count are refused, with what to run.
    ok(&dive(h, &ep, &synth_args(&s3, "short", "14", &["--shard", "0/2", "--shard-extra", "0"])).await, "short shard 0");
    let r = dive(h, &ep, &synth_args(&s3, "short", "14", &["--shard", "1/2", "--shard-extra", "0"])).await;
    ok(&r, "short shard 1");
    let m = dive(h, &ep, &["merge", "short/m.jsonl", "short/tasks.shard-0-of-2.jsonl", "short/tasks.shard-1-of-2.jsonl"]).await;
    if m.code != 0 {
        assert_eq!(m.code, 2, "{}", m.stderr);
        assert!(m.stderr.contains("--resume --shard-extra"), "{}", m.stderr);
    } else {
        assert_eq!(std::fs::read(h.join("short/m.jsonl")).unwrap(), one, "a merge that succeeds is exact");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_shard_resumes_to_the_same_file() {
    let moto = Moto::start();
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let (ep, bucket) = (moto.url(), moto.bucket());
    let s3 = format!("s3://{bucket}/e");
    let shard = |out: &'static str, resume: bool| -> Vec<String> {
        let extra: &[&str] = if resume { &["--shard", "1/2", "--resume"] } else { &["--shard", "1/2"] };
        synth_args(&s3, out, "12", extra).into_iter().map(String::from).collect()
    };
    let endpoint = ep.as_str();
    let run = |args: Vec<String>| async move { dive(h, endpoint, &args.iter().map(String::as_str).collect::<Vec<_>>()).await };
    ok(&run(shard("full", false)).await, "whole shard");
    let full = std::fs::read_to_string(h.join("full/tasks.shard-1-of-2.jsonl")).unwrap();
    let lines: Vec<&str> = full.lines().collect();
    assert!(lines.len() >= 4, "{full}");
    // As a killed shard leaves it: three whole lines, half of one, no manifest.
    std::fs::create_dir_all(h.join("cut")).unwrap();
    std::fs::write(h.join("cut/tasks.shard-1-of-2.jsonl"), format!("{}\n{}\n{}\n{}", lines[0], lines[1], lines[2], &lines[3][..lines[3].len() / 2])).unwrap();
    let again = run(shard("cut", false)).await;
    assert_eq!(again.code, 2, "an existing shard file is not overwritten: {}", again.stderr);
    ok(&run(shard("cut", true)).await, "resume the shard");
    assert_eq!(std::fs::read_to_string(h.join("cut/tasks.shard-1-of-2.jsonl")).unwrap(), full);
    assert_eq!(std::fs::read(h.join("cut/tasks.shard-1-of-2.json")).unwrap(), std::fs::read(h.join("full/tasks.shard-1-of-2.json")).unwrap(), "the manifest is written when the shard finishes");
    // Resuming with another shard's file is refused.
    std::fs::copy(h.join("full/tasks.shard-1-of-2.jsonl"), h.join("cut/tasks.shard-0-of-2.jsonl")).unwrap();
    let wrong = dive(h, &ep, &synth_args(&s3, "cut", "12", &["--shard", "0/2", "--resume"])).await;
    assert_eq!(wrong.code, 2, "{}", wrong.stderr);
    assert!(wrong.stderr.contains("not in shard 0/2"), "{}", wrong.stderr);
}

use dive_integration_tests::medical_services as medical;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_reverify_and_fsck_read_the_bucket_with_the_upstream_gone() {
    let moto = Moto::start();
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let (ep, bucket) = (moto.url(), moto.bucket());
    let s3 = format!("s3://{bucket}/ev");
    let mut fx = Fixture::start(medical).await;
    let (u1, u2) = (format!("https://rxnav.nlm.nih.gov={}", fx.url()), format!("https://clinicaltables.nlm.nih.gov={}", fx.url()));
    for k in 0..2 {
        let spec = format!("{k}/2");
        let r = dive(h, &ep, &["--store", &s3, "--allow-private-network", "--upstream", &u1, "--upstream", &u2, "synth", "--domain", "medical", "--count", "4", "--seed", "2", "--out", "live", "--shard", &spec]).await;
        ok(&r, "medical shard against the fixture");
    }
    assert!(!fx.seen().is_empty(), "the tools reached the fixture");
    fx.stop();
    drop(fx);
    ok(&dive(h, &ep, &["merge", "live/tasks.jsonl", "live/tasks.shard-0-of-2.jsonl", "live/tasks.shard-1-of-2.jsonl"]).await, "merge");
    // Another machine: an empty cache, the upstream gone, only the bucket.
    let other = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(other.path().join("live")).unwrap();
    std::fs::copy(h.join("live/tasks.jsonl"), other.path().join("live/tasks.jsonl")).unwrap();
    let o = other.path();
    let r = dive(o, &ep, &["--store", &s3, "--json", "reverify", "live/tasks.jsonl"]).await;
    ok(&r, "offline reverify from the bucket");
    assert_eq!(r.json()["holds"], json!(4), "{}", r.stdout);
    // The cache now holds the traces and blobs those tasks read, each named by its
    // hash: the same reverify needs the bucket no more.
    let gone = format!("http://{}", TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap());
    let r = dive(o, &gone, &["--store", &s3, "--json", "reverify", "live/tasks.jsonl"]).await;
    ok(&r, "reverify from the cache with the object store unreachable");
    assert_eq!(r.json()["holds"], json!(4), "{}", r.stdout);
    let ls = dive(o, &ep, &["--store", &s3, "--json", "store", "ls"]).await;
    ok(&ls, "store ls");
    let refs = ls.json()["refs"].clone();
    let first = refs.as_array().and_then(|a| a.first()).cloned().unwrap_or_else(|| panic!("refs in the bucket: {}", ls.stdout));
    let name = first["name"].as_str().or(first[0].as_str()).unwrap_or_else(|| panic!("a ref name: {first}")).to_string();
    ok(&dive(o, &ep, &["--store", &s3, "replay", &name]).await, "replay a ref from the bucket");
    // A replay on a machine with no cached copy fetches the trace's blobs many at once
    // (one connection each), not one round trip after another over one connection.
    let proxy = CountingProxy::start(moto.addr).await;
    let cold = tempfile::tempdir().unwrap();
    ok(&dive(cold.path(), &format!("http://{}", proxy.addr), &["--store", &s3, "replay", &name]).await, "replay through the proxy");
    let most = proxy.most_open.load(Ordering::SeqCst);
    eprintln!("a cold replay held {most} connections at once");
    assert!(most >= 4, "{most} connection(s) at once: the blobs were read one after another");

    let fsck = dive(o, &ep, &["--store", &s3, "--json", "store", "fsck"]).await;
    ok(&fsck, "fsck of the bucket");
    let report = fsck.json();
    assert!(report["objects_checked"].as_u64().unwrap() > 0 && report["traces_checked"].as_u64().unwrap() > 0, "{report}");

    // Tamper with an object the first task's evidence uses: fsck names it, and
    // reverify on a machine with no cached copy fails that task.
    let text = std::fs::read_to_string(h.join("live/tasks.jsonl")).unwrap();
    let first: Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    let trace = first["trace"].as_str().expect("a task names its trace");
    let trace_doc = moto.get(&bucket, &format!("ev/traces/{}/{}.json", &trace[..2], &trace[2..])).expect("the trace is in the bucket");
    let trace_doc = String::from_utf8_lossy(&trace_doc);
    let hash = trace_doc.split("\"blake3\":\"").nth(1).and_then(|r| r.get(..64)).expect("the trace references a blob").to_string();
    moto.put(&bucket, &format!("ev/objects/{}/{}", &hash[..2], &hash[2..]), b"tampered");
    let fsck = dive(o, &ep, &["--store", &s3, "--json", "store", "fsck"]).await;
    assert_eq!(fsck.code, 1, "{}\n{}", fsck.stdout, fsck.stderr);
    assert!(fsck.stdout.contains(&format!("object {hash}: corrupt")), "{}", fsck.stdout);
    let fresh = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(fresh.path().join("live")).unwrap();
    std::fs::copy(h.join("live/tasks.jsonl"), fresh.path().join("live/tasks.jsonl")).unwrap();
    let r = dive(fresh.path(), &ep, &["--store", &s3, "--json", "reverify", "live/tasks.jsonl"]).await;
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert!(r.json()["holds"].as_u64().unwrap() < 4, "a task whose evidence was tampered does not hold: {}", r.stdout);

    // fsck sweeps the bucket many reads at once (a connection each), not one round
    // trip after another.
    let proxy = CountingProxy::start(moto.addr).await;
    let fsck = dive(o, &format!("http://{}", proxy.addr), &["--store", &s3, "--json", "store", "fsck"]).await;
    assert_eq!(fsck.code, 1, "{}\n{}", fsck.stdout, fsck.stderr);
    let most = proxy.most_open.load(Ordering::SeqCst);
    eprintln!("fsck held {most} connections at once");
    assert!(most >= 4, "{most} connection(s) at once: fsck read the objects one after another");
    // A trace changed in the bucket is found although this machine's cache holds a good
    // copy (the reverify above read it): fsck reads the bucket's copy.
    let trace_key = format!("ev/traces/{}/{}.json", &trace[..2], &trace[2..]);
    moto.put(&bucket, &trace_key, trace_doc.replacen('{', "{ ", 1).as_bytes());
    let fsck = dive(o, &ep, &["--store", &s3, "--json", "store", "fsck"]).await;
    assert_eq!(fsck.code, 1, "{}\n{}", fsck.stdout, fsck.stderr);
    assert!(fsck.stdout.contains(&format!("trace {trace}: ")) && fsck.stdout.contains("modified after it was written"), "{}", fsck.stdout);
}

/// A proxy in front of the S3 server that counts the connections open through it at
/// once: a client reading one object at a time keeps one (its pool reuses it), one
/// with several reads in flight opens one for each.
struct CountingProxy {
    addr: SocketAddr,
    most_open: Arc<AtomicUsize>,
}

impl CountingProxy {
    async fn start(upstream: SocketAddr) -> CountingProxy {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (open, most_open) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let most = most_open.clone();
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let now = open.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                let open = open.clone();
                tokio::spawn(async move {
                    if let Ok(mut server) = tokio::net::TcpStream::connect(upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                    open.fetch_sub(1, Ordering::SeqCst);
                });
            }
        });
        CountingProxy { addr, most_open }
    }
}

/// A proxy in front of the S3 server that answers the first `fail` requests with 503
/// SlowDown (as S3 throttles) and forwards everything after.
struct FlakyProxy {
    addr: SocketAddr,
    refused: Arc<AtomicUsize>,
}

impl FlakyProxy {
    async fn start(upstream: SocketAddr, fail: usize) -> FlakyProxy {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let refused = Arc::new(AtomicUsize::new(0));
        let counter = refused.clone();
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let counter = counter.clone();
                tokio::spawn(async move {
                    // Claim one of the `fail` refusals atomically: connections come
                    // several at once, and a check then an increment would refuse more.
                    if counter.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| (n < fail).then_some(n + 1)).is_ok() {
                        if read_request(&mut client).await.is_none() {
                            counter.fetch_sub(1, Ordering::SeqCst); // no request came: nothing refused
                        } else {
                            let body = "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>";
                            let reply = format!("HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len());
                            let _ = tokio::io::AsyncWriteExt::write_all(&mut client, reply.as_bytes()).await;
                        }
                        return;
                    }
                    if let Ok(mut server) = tokio::net::TcpStream::connect(upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
            }
        });
        FlakyProxy { addr, refused }
    }
}

/// Read one request's head and body (by Content-Length) so the client sees a whole
/// reply: the request's bytes and where its head ends.
async fn read_request(s: &mut tokio::net::TcpStream) -> Option<(Vec<u8>, usize)> {
    use tokio::io::AsyncReadExt;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        let n = s.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break p + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let len: usize = head.lines().find_map(|l| l.strip_prefix("content-length:")).and_then(|v| v.trim().parse().ok()).unwrap_or(0);
    while buf.len() < head_end + len {
        let n = s.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Some((buf, head_end))
}

/// What [`GatingProxy`] does with a request.
#[derive(Clone, Copy)]
enum Gate {
    /// Forward it.
    Pass,
    /// Hold it unanswered until the proxy is released, then forward it.
    Hold,
    /// Answer 403 AccessDenied (not retried by S3 clients).
    Refuse,
}

/// A proxy in front of the S3 server that looks at each request (one per connection: it
/// asks the server to close after answering, so the client opens a new one for the next)
/// and holds or refuses those `gate` picks by method and path.
struct GatingProxy {
    addr: SocketAddr,
    /// Requests held so far (still held or released).
    held: Arc<AtomicUsize>,
    /// Requests refused so far.
    refused: Arc<AtomicUsize>,
    /// Every request seen, as `METHOD PATH`.
    requests: Arc<std::sync::Mutex<Vec<String>>>,
    release: tokio::sync::watch::Sender<bool>,
}

impl GatingProxy {
    async fn start(upstream: SocketAddr, gate: fn(&str, &str) -> Gate) -> GatingProxy {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (held, refused) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let (release, released) = tokio::sync::watch::channel(false);
        let requests = Arc::new(std::sync::Mutex::new(Vec::new()));
        let (h, r, seen) = (held.clone(), refused.clone(), requests.clone());
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                tokio::spawn(Self::serve(client, upstream, gate, (h.clone(), r.clone(), seen.clone()), released.clone()));
            }
        });
        GatingProxy { addr, held, refused, requests, release }
    }

    /// Whether a request with this method and a path containing `part` was seen.
    fn saw(&self, method: &str, part: &str) -> usize {
        self.requests.lock().unwrap().iter().filter(|r| r.starts_with(&format!("{method} ")) && r.contains(part)).count()
    }

    async fn serve(mut client: tokio::net::TcpStream, upstream: SocketAddr, gate: fn(&str, &str) -> Gate, (held, refused, seen): (Arc<AtomicUsize>, Arc<AtomicUsize>, Arc<std::sync::Mutex<Vec<String>>>), mut released: tokio::sync::watch::Receiver<bool>) {
        use tokio::io::AsyncWriteExt;
        let Some((request, head_end)) = read_request(&mut client).await else { return };
        let head = String::from_utf8_lossy(&request[..head_end]).to_string();
        let mut first = head.split(' ');
        let (method, path) = (first.next().unwrap_or(""), first.next().unwrap_or(""));
        seen.lock().unwrap().push(format!("{method} {path}"));
        match gate(method, path) {
            Gate::Pass => {}
            Gate::Hold => {
                held.fetch_add(1, Ordering::SeqCst);
                let _ = released.wait_for(|r| *r).await;
            }
            Gate::Refuse => {
                refused.fetch_add(1, Ordering::SeqCst);
                let body = "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>";
                let reply = format!("HTTP/1.1 403 Forbidden\r\nContent-Type: application/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len());
                let _ = client.write_all(reply.as_bytes()).await;
                return;
            }
        }
        let mut forwarded: Vec<u8> = head.trim_end().lines().filter(|l| !l.to_ascii_lowercase().starts_with("connection:")).flat_map(|l| format!("{l}\r\n").into_bytes()).collect();
        forwarded.extend_from_slice(b"Connection: close\r\n\r\n");
        forwarded.extend_from_slice(&request[head_end..]);
        if let Ok(mut server) = tokio::net::TcpStream::connect(upstream).await {
            if server.write_all(&forwarded).await.is_ok() {
                let _ = tokio::io::copy(&mut server, &mut client).await;
            }
        }
        let _ = client.shutdown().await;
    }
}

/// Whether a request puts a trace file (not its usage file).
fn puts_a_trace(method: &str, path: &str) -> bool {
    method == "PUT" && path.contains("/traces/") && !path.ends_with(".usage.json")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttling_and_5xx_are_retried() {
    let moto = Moto::start();
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let bucket = moto.bucket();
    let proxy = FlakyProxy::start(moto.addr, 5).await;
    let through = format!("http://{}", proxy.addr);
    let s3 = format!("s3://{bucket}/r");
    ok(&dive(h, &through, &synth_args(&s3, "flaky", "3", &[])).await, "a build through a throttling proxy");
    assert_eq!(proxy.refused.load(Ordering::SeqCst), 5, "the proxy turned requests away");
    ok(&dive(h, &moto.url(), &synth_args("dir", "direct", "3", &[])).await, "reference build");
    assert_eq!(std::fs::read(h.join("flaky/tasks.jsonl")).unwrap(), std::fs::read(h.join("direct/tasks.jsonl")).unwrap());
    let fsck = dive(h, &moto.url(), &["--store", &s3, "--json", "store", "fsck"]).await;
    ok(&fsck, "nothing was lost or half-written");
    // Blob puts go out many at once (a connection each), and the build is the same.
    let counting = CountingProxy::start(moto.addr).await;
    let s3b = format!("s3://{bucket}/c");
    ok(&dive(h, &format!("http://{}", counting.addr), &synth_args(&s3b, "counted", "3", &[])).await, "a build through a counting proxy");
    let most = counting.most_open.load(Ordering::SeqCst);
    eprintln!("a build held {most} connections at once");
    assert!(most >= 8, "{most} connection(s) at once for 2 workers: the puts went one after another (4 when they did)");
    assert_eq!(std::fs::read(h.join("counted/tasks.jsonl")).unwrap(), std::fs::read(h.join("direct/tasks.jsonl")).unwrap());
    let fsck = dive(h, &moto.url(), &["--store", &s3b, "--json", "store", "fsck"]).await;
    ok(&fsck, "every blob a trace names was put before the trace");
    assert_eq!(fsck.json()["problems"], json!([]), "{}", fsck.stdout);
}

/// A build writes its traces and refs behind (group commit): while every trace put is
/// held unanswered, the workers go on recording, so more traces are under way than the
/// 2 workers (a worker that waited for its own trace put would hold at most one each);
/// released, the build is the same and the bucket is whole.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn traces_and_refs_are_written_behind_the_build() {
    let moto = Moto::start();
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let bucket = moto.bucket();
    let proxy = GatingProxy::start(moto.addr, |m, p| if puts_a_trace(m, p) { Gate::Hold } else { Gate::Pass }).await;
    let s3 = format!("s3://{bucket}/r");
    let args: Vec<String> = synth_args(&s3, "behind", "8", &[]).into_iter().map(String::from).collect();
    let build = tokio::spawn(dive_command(h, &format!("http://{}", proxy.addr), &args.iter().map(String::as_str).collect::<Vec<_>>()).output());
    // Wait until all 8 tasks' trace puts are held (or give up after a minute, which the
    // old one-trace-per-worker write would reach with 2 held).
    let deadline = Instant::now() + Duration::from_secs(60);
    while proxy.held.load(Ordering::SeqCst) < 8 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let held = proxy.held.load(Ordering::SeqCst);
    proxy.release.send(true).unwrap();
    let out = Out::of(build.await.unwrap().unwrap());
    eprintln!("{held} trace puts were under way at once");
    assert!(held >= 8, "only {held} trace put(s) under way at once for 2 workers: each worker waited for its own trace");
    ok(&out, "a build whose trace puts were held, then released");
    ok(&dive(h, &moto.url(), &synth_args("dir", "direct", "8", &[])).await, "reference build");
    assert_eq!(std::fs::read(h.join("behind/tasks.jsonl")).unwrap(), std::fs::read(h.join("direct/tasks.jsonl")).unwrap());
    let fsck = dive(h, &moto.url(), &["--store", &s3, "--json", "store", "fsck"]).await;
    ok(&fsck, "every trace and ref landed after what it names");
    assert_eq!(fsck.json()["problems"], json!([]), "{}", fsck.stdout);
    let ls = dive(h, &moto.url(), &["--store", &s3, "--json", "store", "ls"]).await;
    assert!(ls.json()["refs"].as_array().unwrap().len() >= 8, "every task's ref: {}", ls.stdout);
    // Each task's ref is new: created with one put, not read first.
    assert!(proxy.saw("PUT", "/refs/") >= 8, "{:?}", proxy.requests.lock().unwrap());
    assert_eq!(proxy.saw("GET", "/refs/"), 0, "a new ref was read before it was created");
}

/// Written behind, a trace still waits for its blobs and a ref for its trace: with every
/// blob put refused, the build fails naming the refusal, and the bucket holds no trace,
/// no ref and the task file no task.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_blob_put_leaves_no_trace_ref_or_task() {
    let moto = Moto::start();
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let bucket = moto.bucket();
    let proxy = GatingProxy::start(moto.addr, |m, p| if m == "PUT" && p.contains("/objects/") { Gate::Refuse } else { Gate::Pass }).await;
    let s3 = format!("s3://{bucket}/r");
    let out = dive(h, &format!("http://{}", proxy.addr), &synth_args(&s3, "refused", "4", &[])).await;
    assert_ne!(out.code, 0, "the build cannot succeed without its blobs: {}", out.stderr);
    assert!(proxy.refused.load(Ordering::SeqCst) > 0, "the proxy refused blob puts");
    assert!(out.stderr.contains("put ") && out.stderr.contains("/objects/"), "the error names the refused put: {}", out.stderr);
    let ls = dive(h, &moto.url(), &["--store", &s3, "--json", "store", "ls"]).await;
    ok(&ls, "list the bucket");
    assert_eq!(ls.json()["traces"], json!([]), "no trace without its blobs: {}", ls.stdout);
    assert_eq!(ls.json()["refs"], json!([]), "no ref without its trace: {}", ls.stdout);
    let tasks = std::fs::read(h.join("refused/tasks.jsonl")).unwrap_or_default();
    assert!(tasks.is_empty(), "no task line names an unwritten trace: {}", String::from_utf8_lossy(&tasks));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_object_store_locations_are_usage_errors() {
    let home = tempfile::tempdir().unwrap();
    for bad in ["s3://", "s3://No_Such/x", "s3://bucket/a/../b"] {
        let r = dive(home.path(), "http://127.0.0.1:9", &["--store", bad, "store", "fsck"]).await;
        assert_eq!(r.code, 2, "{bad}: {}", r.stderr);
        assert!(r.stderr.contains("s3://BUCKET/PREFIX"), "{bad}: {}", r.stderr);
    }
    for bad in ["3/3", "x", "1/0"] {
        let r = dive(home.path(), "http://127.0.0.1:9", &["synth", "--domain", "biological", "--shard", bad]).await;
        assert_eq!(r.code, 2, "--shard {bad}: {}", r.stderr);
    }
}

/// Every YAML document of a manifest file.
fn yaml_docs(path: &Path) -> Vec<serde_yaml_ng::Value> {
    use serde::Deserialize;
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_yaml_ng::Deserializer::from_str(&text).map(|d| serde_yaml_ng::Value::deserialize(d).unwrap_or_else(|e| panic!("{}: {e}", path.display()))).collect()
}

#[test]
fn the_kubernetes_job_wires_the_completion_index_to_shard() {
    let deploy = repo_root().join("deploy");
    let docs = yaml_docs(&deploy.join("k8s/synth-job.yaml"));
    let jobs: Vec<&serde_yaml_ng::Value> = docs.iter().filter(|d| d["kind"] == "Job").collect();
    let shards = jobs.iter().find(|j| j["spec"]["completionMode"] == "Indexed").expect("an Indexed Job");
    let spec = &shards["spec"];
    let n = spec["completions"].as_u64().expect("completions");
    assert_eq!(spec["parallelism"].as_u64(), Some(n), "one pod per shard at once");
    let container = &spec["template"]["spec"]["containers"][0];
    let words: Vec<String> = container["command"].as_sequence().into_iter().chain(container["args"].as_sequence()).flatten().filter_map(|v| v.as_str().map(String::from)).collect();
    let line = words.join(" ");
    assert!(line.contains(&format!("--shard $(JOB_COMPLETION_INDEX)/{n}")) || line.contains(&format!("--shard \"$JOB_COMPLETION_INDEX/{n}\"")) || line.contains(&format!("--shard $JOB_COMPLETION_INDEX/{n}")), "the completion index is the shard, of {n}: {line}");
    assert!(line.contains("--store") && line.contains("s3://"), "shards share an object store: {line}");
    // S3 credentials come from a Secret.
    let env = container["env"].as_sequence().expect("env");
    for var in ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"] {
        let e = env.iter().find(|e| e["name"] == var).unwrap_or_else(|| panic!("{var} is set"));
        assert!(e["valueFrom"]["secretKeyRef"]["name"].as_str().is_some(), "{var} comes from a Secret: {e:?}");
    }
    // A second Job merges all N shards.
    let merge = jobs.iter().find(|j| j["spec"]["completionMode"] != "Indexed").expect("a merge Job");
    let c = &merge["spec"]["template"]["spec"]["containers"][0];
    let line: String = c["command"].as_sequence().into_iter().chain(c["args"].as_sequence()).flatten().filter_map(|v| v.as_str()).collect::<Vec<_>>().join(" ");
    assert!(line.contains("merge"), "{line}");
    for k in 0..n {
        assert!(line.contains(&format!("tasks.shard-{k}-of-{n}.jsonl")), "the merge reads shard {k}/{n}: {line}");
    }
    let dockerfile = std::fs::read_to_string(deploy.join("Dockerfile")).unwrap();
    assert!(dockerfile.matches("FROM ").count() >= 2, "a multi-stage build");
    assert!(dockerfile.contains("share/dive/tools"), "the pool where the binary finds it");
}

/// Not a check: the object-store put/get rate against the loopback moto server, for the
/// README (`scripts/measure_shards.sh` runs it). Ignored by default.
#[test]
#[ignore]
fn measure_object_store_put_and_get_rate() {
    let moto = Moto::start();
    let bucket = moto.bucket();
    let cache = tempfile::tempdir().unwrap();
    // Process-wide settings: this ignored test is run on its own (`--ignored --exact`).
    for (k, v) in [("AWS_ACCESS_KEY_ID", "test"), ("AWS_SECRET_ACCESS_KEY", "test"), ("AWS_REGION", "us-east-1")] {
        std::env::set_var(k, v);
    }
    std::env::set_var("AWS_ENDPOINT_URL", moto.url());
    std::env::set_var("DIVE_CACHE_DIR", cache.path());
    let store = dive_runtime::store::Store::open_location(Path::new(&format!("s3://{bucket}/rate")), &dive_runtime::DiveEnv::from_env().s3_cache_root()).unwrap();
    const N: usize = 1000;
    let blobs: Vec<Vec<u8>> = (0..N).map(|i| format!("{i:01024}").into_bytes()).collect();
    let report = |what: &str, n: usize, t: Duration| println!("{what}: {n} in {:.2}s = {:.0}/s", t.as_secs_f64(), n as f64 / t.as_secs_f64());
    for threads in [1usize, 8] {
        let chunk: Vec<Vec<u8>> = blobs.iter().map(|b| [b.as_slice(), format!("{threads}").as_bytes()].concat()).collect();
        let t = Instant::now();
        std::thread::scope(|s| {
            for part in chunk.chunks(N / threads) {
                let store = store.clone();
                s.spawn(move || part.iter().for_each(|b| drop(store.put_blob(b).unwrap())));
            }
        });
        report(&format!("put 1 KiB, {threads} thread(s)"), N, t.elapsed());
        let hashes: Vec<String> = chunk.iter().map(|b| blake3::hash(b).to_hex().to_string()).collect();
        let t = Instant::now();
        std::thread::scope(|s| {
            for part in hashes.chunks(N / threads) {
                let store = store.clone();
                s.spawn(move || part.iter().for_each(|h| assert_eq!(store.check_blob(h).ok(), Some(()))));
            }
        });
        report(&format!("get 1 KiB (from the server, hash checked), {threads} thread(s)"), N, t.elapsed());
        // Another writer of the same objects: each conditional put is refused (412) and
        // counts as written.
        let other = dive_runtime::store::Store::open_location(Path::new(&format!("s3://{bucket}/rate")), &dive_runtime::DiveEnv::from_env().s3_cache_root()).unwrap();
        let t = Instant::now();
        chunk.iter().for_each(|b| drop(other.put_blob(b).unwrap()));
        report(&format!("put of objects another writer wrote (refused, a no-op), {threads} thread(s) before"), N, t.elapsed());
    }
}
