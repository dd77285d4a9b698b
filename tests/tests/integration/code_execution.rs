//! code_execution: Python (CPython in a componentize-py component) run per call in a
//! fresh sandbox. A corpus of programs — results, output, the standard library,
//! exceptions, syntax errors — plus what the sandbox must stop: network, files,
//! processes, busy loops, blocking sleeps, memory bombs and output floods, each followed
//! by a call that must still work.
//!
//! Needs the pooled package (`make pool` builds build/tools/code_execution/).

use dive_integration_tests::{builtin_pool_dir, dive_bin, make_package, repo_root};
use dive_runtime::{CallError, CallOptions, DeterminismConfig, Outcome, Runtime, RuntimeConfig};
use serde_json::{json, Value};
use std::path::PathBuf;

const TOOL: &str = "code_execution";

fn package_dir() -> PathBuf {
    builtin_pool_dir().join(TOOL)
}

fn wasm() -> PathBuf {
    let p = package_dir().join("code_execution.wasm");
    assert!(p.is_file(), "{} is missing: run `make pool`", p.display());
    p
}

/// Runtimes are created one at a time: the first compiles the ~25 MB component (slow)
/// and fills the cache every later one loads from.
static LOAD: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn runtime_over(pkg: PathBuf) -> Runtime {
    let _one_at_a_time = LOAD.lock().await;
    let rt = Runtime::new(RuntimeConfig {
        tool_sources: vec![pkg],
        engine: dive_integration_tests::test_engine(),
        ..Default::default()
    })
    .await
    .expect("the runtime starts");
    assert!(rt.load_issues().is_empty(), "{:?}", rt.load_issues());
    rt
}

/// The package as shipped (its own manifest and limits).
async fn shipped() -> Runtime {
    runtime_over(package_dir()).await
}

/// The same component with short limits, for the tests that must hit them.
async fn with_limits(dir: &tempfile::TempDir, timeout_ms: u64, memory_mib: u64) -> Runtime {
    let pkg = make_package(
        &dir.path().join(TOOL),
        &wasm(),
        &format!("domain = \"general\"\n[policy]\nnetwork = []\ntimeout_ms = {timeout_ms}\nmemory_mib = {memory_mib}\nmax_output_bytes = 4194304\n"),
    );
    runtime_over(pkg).await
}

fn opts(call_index: u64) -> CallOptions {
    let mut o = CallOptions::live(DeterminismConfig { seed: 7, clock_ns: 1_700_000_000_000_000_000 });
    o.call_index = call_index;
    o
}

async fn outcome(rt: &Runtime, code: &str) -> Outcome {
    rt.call(TOOL, &json!({ "code": code }).to_string(), &opts(0)).await.expect("the call runs").outcome
}

/// Run `code`; the call must succeed (a Python exception is still a success).
/// The result must hold the fields the parity table maps.
async fn run(rt: &Runtime, code: &str) -> Value {
    let v: Value = match outcome(rt, code).await {
        Outcome::Ok(t) => serde_json::from_str(&t).unwrap(),
        other => panic!("expected a result for {code:?}, got {other:?}"),
    };
    dive_integration_tests::api::check_parity(rt, TOOL, &json!({ "code": code }), &v);
    v
}

/// Run `code`; it must finish without an exception.
async fn run_ok(rt: &Runtime, code: &str) -> Value {
    let v = run(rt, code).await;
    assert_eq!(v["error"], Value::Null, "{code:?} raised: {}", v["error"]["traceback"]);
    v
}

fn assert_violation(o: &Outcome, want_rule: &str) {
    match o {
        Outcome::Violation { rule, message } => {
            assert_eq!(rule.as_str(), want_rule, "{message}");
            assert!(message.contains(want_rule), "the message names the limit: {message}");
            assert!(matches!(o, Outcome::Violation { .. }), "{o:?}");
        }
        other => panic!("expected a '{want_rule}' violation, got {other:?}"),
    }
}

/// After a violation the same runtime still runs Python.
async fn assert_next_call_works(rt: &Runtime) {
    let v = run_ok(rt, "print('still here')\n6 * 7").await;
    assert_eq!(v["stdout"], "still here\n");
    assert_eq!(v["result"], "42");
}

#[tokio::test]
async fn the_tool_keeps_the_catalog_name_and_parameter() {
    let rt = shipped().await;
    let entry = rt.tool(TOOL).expect("code_execution is in the package");
    let schema = &entry.spec.input_schema;
    assert_eq!(schema["required"], json!(["code"]));
    assert_eq!(schema["properties"]["code"]["type"], "string");
    assert_eq!(schema["properties"]["code"]["minLength"], 1);
    assert!(entry.spec.output_schema.is_some());
    assert_eq!(entry.policy.network.len(), 0, "no network for Python");
    // The host checks the arguments before any Python runs.
    for bad in [json!({}), json!({"code": ""}), json!({"code": 5})] {
        match rt.call(TOOL, &bad.to_string(), &opts(0)).await {
            Err(CallError::InvalidArgs { .. }) => {}
            other => panic!("{bad} should be refused as invalid arguments, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn results_and_output_like_a_notebook_cell() {
    let rt = shipped().await;
    // (program, expected stdout, expected result)
    let cases: &[(&str, &str, Option<&str>)] = &[
        ("2 + 3 * 4", "", Some("14")),
        ("2 ** 100", "", Some("1267650600228229401496703205376")),
        ("7 / 2, 7 // 2, 7 % 2, -7 // 2", "", Some("(3.5, 3, 1, -4)")),
        ("0.1 + 0.2", "", Some("0.30000000000000004")),
        ("x = 10\ny = 32\nx + y", "", Some("42")),
        ("x = 10", "", None),
        ("def f():\n    return 3\nf()", "", Some("3")),
        ("None", "", None),
        ("print('hi')", "hi\n", None),
        ("print('a'); print('b', 'c', sep='-')\n'done'", "a\nb-c\n", Some("'done'")),
        ("for i in range(3):\n    print(i)", "0\n1\n2\n", None),
        ("s = 'Hello, World'\ns.lower().replace('world', 'dive')[::-1]", "", Some("'evid ,olleh'")),
        ("' '.join(w.capitalize() for w in 'the quick brown fox'.split())", "", Some("'The Quick Brown Fox'")),
        ("f'{3.14159:.2f}|{42:>5}|{255:#x}'", "", Some("'3.14|   42|0xff'")),
        ("'naïve café'.upper(), len('日本語')", "", Some("('NAÏVE CAFÉ', 3)")),
        ("print('héllo ✓ 日本')", "héllo ✓ 日本\n", None),
        ("import sys\nsys.stdout.write('raw')\nsys.stdout.buffer.write('é\\n'.encode())", "rawé\n", Some("3")),
        ("if True:\n    x = [1, 2]\nx", "", Some("[1, 2]")),
        ("{'b': 1, 'a': [1, 2.5, None, True]}", "", Some("{'b': 1, 'a': [1, 2.5, None, True]}")),
        ("import sys\nsys.exit(0)\nprint('not reached')", "", None),
    ];
    for (code, stdout, result) in cases {
        let v = run_ok(&rt, code).await;
        assert_eq!(v["stdout"], *stdout, "stdout of {code:?}");
        assert_eq!(v["result"], result.map_or(Value::Null, |r| json!(r)), "result of {code:?}");
        assert_eq!(v["stderr"], "", "stderr of {code:?}");
        assert_eq!(v["stdout_truncated"], false);
    }
    let v = run_ok(&rt, "import sys\nprint('oops', file=sys.stderr)\nprint('ok')").await;
    assert_eq!((v["stdout"].as_str(), v["stderr"].as_str()), (Some("ok\n"), Some("oops\n")));
    // input() reads an empty stdin.
    let v = run(&rt, "input()").await;
    assert_eq!(v["error"]["type"], "EOFError");
}

#[tokio::test]
async fn the_standard_library_is_there() {
    let rt = shipped().await;
    // (program, expected result)
    let cases: &[(&str, &str)] = &[
        ("import math\nmath.factorial(20), math.gcd(12, 18), round(math.pi, 5)", "(2432902008176640000, 6, 3.14159)"),
        ("import cmath\ncmath.sqrt(-4)", "2j"),
        ("import json\njson.dumps({'a': [1, 2]}, sort_keys=True)", "'{\"a\": [1, 2]}'"),
        ("import json\njson.loads('{\"x\": 1.5}')['x']", "1.5"),
        ("import re\nre.findall(r'\\d+', 'a1b22c333')", "['1', '22', '333']"),
        ("import datetime\n(datetime.date(2024, 3, 1) - datetime.date(2024, 2, 1)).days", "29"),
        ("import datetime\ndatetime.date(2024, 1, 1).strftime('%A %d %B %Y')", "'Monday 01 January 2024'"),
        ("import statistics\nstatistics.mean([1, 2, 3, 4]), statistics.median([3, 1, 2])", "(2.5, 2)"),
        ("import statistics\nround(statistics.stdev([2, 4, 4, 4, 5, 5, 7, 9]), 6)", "2.13809"),
        ("from decimal import Decimal, getcontext\ngetcontext().prec = 30\nDecimal(1) / Decimal(7)", "Decimal('0.142857142857142857142857142857')"),
        ("from fractions import Fraction\nFraction(1, 3) + Fraction(1, 6)", "Fraction(1, 2)"),
        ("import itertools\nlist(itertools.combinations('abc', 2))", "[('a', 'b'), ('a', 'c'), ('b', 'c')]"),
        ("import collections\ncollections.Counter('mississippi').most_common(2)", "[('i', 4), ('s', 4)]"),
        ("import functools\nfunctools.reduce(lambda a, b: a * b, range(1, 6))", "120"),
        ("import string\nstring.ascii_lowercase[:5]", "'abcde'"),
        ("import textwrap\ntextwrap.wrap('aaa bbb ccc ddd', 7)", "['aaa bbb', 'ccc ddd']"),
        ("import heapq\nheapq.nsmallest(2, [5, 1, 4, 2])", "[1, 2]"),
        ("import bisect\nbisect.bisect_left([1, 3, 5, 7], 5)", "2"),
        ("import operator\nsorted([(1, 'b'), (0, 'a')], key=operator.itemgetter(1))", "[(0, 'a'), (1, 'b')]"),
        ("from typing import List\ndef f(x: List[int]) -> int:\n    return sum(x)\nf([1, 2])", "3"),
        ("from dataclasses import dataclass\n@dataclass\nclass P:\n    x: int\n    y: int = 0\nP(1)", "P(x=1, y=0)"),
        ("import enum\nclass C(enum.Enum):\n    RED = 1\nC(1)", "<C.RED: 1>"),
        ("import copy\na = [[1]]\nb = copy.deepcopy(a)\nb[0].append(2)\na", "[[1]]"),
        ("import pprint\npprint.pformat({'k': list(range(3))})", "\"{'k': [0, 1, 2]}\""),
        ("import hashlib\nhashlib.sha256(b'abc').hexdigest()[:16]", "'ba7816bf8f01cfea'"),
        ("import hashlib\nhashlib.md5(b'').hexdigest()", "'d41d8cd98f00b204e9800998ecf8427e'"),
        ("import base64\nbase64.b64encode(b'dive').decode()", "'ZGl2ZQ=='"),
        ("import uuid\nuuid.uuid5(uuid.NAMESPACE_DNS, 'example.org').version", "5"),
        ("import calendar\ncalendar.isleap(2024), calendar.monthrange(2023, 2)[1]", "(True, 28)"),
        ("import csv, io\nlist(csv.reader(io.StringIO('a,b\\n1,\"2,3\"\\n')))", "[['a', 'b'], ['1', '2,3']]"),
        ("import io\nb = io.StringIO()\nb.write('xy')\nb.getvalue()", "'xy'"),
        ("import unicodedata\nunicodedata.name('é')", "'LATIN SMALL LETTER E WITH ACUTE'"),
        ("import numbers\nisinstance(3, numbers.Integral)", "True"),
        ("import array\narray.array('i', [1, 2, 3]).tolist()", "[1, 2, 3]"),
        ("import struct\nstruct.pack('>HI', 1, 2).hex()", "'000100000002'"),
        ("import difflib\nround(difflib.SequenceMatcher(None, 'abcd', 'abed').ratio(), 2)", "0.75"),
        ("import time\nisinstance(time.time(), float)", "True"),
        ("import random\nrandom.seed(42)\nrandom.randint(1, 1000)", "655"),
        ("import zlib\nlen(zlib.compress(b'a' * 1000)) < 100", "True"),
        ("import sqlite3\nc = sqlite3.connect(':memory:')\nc.execute('select 6 * 7').fetchone()", "(42,)"),
        ("import xml.etree.ElementTree as ET\nET.fromstring('<a><b>x</b></a>').find('b').text", "'x'"),
        ("import urllib.parse\nurllib.parse.urlencode({'q': 'a b'})", "'q=a+b'"),
        ("'bücher'.encode('idna'), 'é'.encode('utf-16-le'), 'x'.encode('cp1252')", "(b'xn--bcher-kva', b'\\xe9\\x00', b'x')"),
        ("import fractions, decimal, graphlib\nlist(graphlib.TopologicalSorter({'b': {'a'}}).static_order())", "['a', 'b']"),
    ];
    for (code, result) in cases {
        let v = run_ok(&rt, code).await;
        assert_eq!(v["result"], *result, "result of {code:?}");
    }
}

#[tokio::test]
async fn exceptions_come_back_as_results_with_a_traceback() {
    let rt = shipped().await;
    let v = run(&rt, "print('before')\ndef f(x):\n    return 1 / x\nf(0)\nprint('after')").await;
    assert_eq!(v["stdout"], "before\n", "output up to the exception is kept");
    assert_eq!(v["result"], Value::Null);
    let e = &v["error"];
    assert_eq!(e["type"], "ZeroDivisionError");
    assert_eq!(e["message"], "division by zero");
    let tb = e["traceback"].as_str().unwrap();
    assert!(tb.starts_with("Traceback (most recent call last):"), "{tb}");
    assert!(tb.contains("File \"<code>\", line 4, in <module>"), "{tb}");
    assert!(tb.contains("File \"<code>\", line 3, in f"), "{tb}");
    assert!(tb.contains("return 1 / x"), "the source line is shown: {tb}");
    assert!(tb.trim_end().ends_with("ZeroDivisionError: division by zero"), "{tb}");
    assert!(!tb.contains("app.py"), "the tool's own frames are hidden: {tb}");

    // An exception in the final expression, a custom class, a chained exception.
    let v = run(&rt, "d = {}\nd['missing']").await;
    assert_eq!((v["error"]["type"].as_str(), v["error"]["message"].as_str()), (Some("KeyError"), Some("'missing'")));
    let v = run(&rt, "class Boom(Exception):\n    pass\nraise Boom('bad input')").await;
    assert_eq!((v["error"]["type"].as_str(), v["error"]["message"].as_str()), (Some("Boom"), Some("bad input")));
    let v = run(&rt, "try:\n    int('x')\nexcept ValueError as e:\n    raise RuntimeError('wrapped') from e").await;
    let tb = v["error"]["traceback"].as_str().unwrap();
    assert_eq!(v["error"]["type"], "RuntimeError");
    assert!(tb.contains("invalid literal for int()") && tb.contains("direct cause"), "{tb}");
    // Errors from the standard library show where the program called it.
    let v = run(&rt, "import json\njson.loads('{bad')").await;
    assert_eq!(v["error"]["type"], "JSONDecodeError");
    assert!(v["error"]["traceback"].as_str().unwrap().contains("line 2, in <module>"));
    // sys.exit with a failure code is reported; a clean exit is not (see the corpus).
    let v = run(&rt, "import sys\nsys.exit(3)").await;
    assert_eq!((v["error"]["type"].as_str(), v["error"]["message"].as_str()), (Some("SystemExit"), Some("3")));
    // Deep recursion is Python's RecursionError, not a crash.
    let v = run(&rt, "def f(n):\n    return f(n + 1)\nf(0)").await;
    assert_eq!(v["error"]["type"], "RecursionError");
    assert!(v["error"]["traceback"].as_str().unwrap().contains("more times"));
}

#[tokio::test]
async fn syntax_errors_point_at_the_line() {
    let rt = shipped().await;
    let v = run(&rt, "x = 1\ny = (2,\n").await;
    let e = &v["error"];
    assert_eq!(e["type"], "SyntaxError");
    let tb = e["traceback"].as_str().unwrap();
    assert!(tb.contains("File \"<code>\", line 2"), "{tb}");
    assert!(tb.contains("y = (2,") && tb.contains('^'), "the line and a caret: {tb}");
    assert!(!tb.contains("Traceback"), "no frames for a program that never ran: {tb}");
    assert_eq!(v["stdout"], "", "nothing ran");

    let v = run(&rt, "def f():\nreturn 1").await;
    assert_eq!(v["error"]["type"], "IndentationError");
    let v = run(&rt, "print 'py2'").await;
    assert_eq!(v["error"]["type"], "SyntaxError");
    assert!(v["error"]["message"].as_str().unwrap().contains("print"), "{}", v["error"]["message"]);
}

#[tokio::test]
async fn network_files_and_processes_fail_inside_python() {
    let rt = shipped().await;
    // (program, expected exception class)
    let cases: &[(&str, &str)] = &[
        ("import socket\ns = socket.socket()\ns.connect(('93.184.215.14', 80))", "PermissionError"),
        ("import socket\nsocket.create_connection(('example.com', 80), timeout=5)", "gaierror"),
        ("import socket\nsocket.gethostbyname('example.com')", "gaierror"),
        ("import urllib.request\nurllib.request.urlopen('http://example.com', timeout=5)", "URLError"),
        ("open('/etc/passwd').read()", "FileNotFoundError"),
        ("open('out.txt', 'w').write('x')", "FileNotFoundError"),
        ("import os\nos.listdir('/')", "FileNotFoundError"),
        ("import os\nos.system('id')", "OSError"),
        ("import os\nos.popen('id')", "OSError"),
        ("import subprocess\nsubprocess.run(['id'])", "OSError"),
        ("import subprocess\nsubprocess.check_output('id', shell=True)", "OSError"),
        ("import threading\nthreading.Thread(target=print).start()", "RuntimeError"),
        ("import ctypes", "ModuleNotFoundError"),
    ];
    for (code, exc) in cases {
        let v = run(&rt, code).await;
        assert_eq!(v["error"]["type"], *exc, "{code:?}: {}", v["error"]["traceback"]);
        assert!(!v["error"]["traceback"].as_str().unwrap().is_empty());
    }
    let v = run(&rt, "import os\nos.system('id')").await;
    assert!(v["error"]["message"].as_str().unwrap().contains("cannot start processes"), "{}", v["error"]["message"]);
    // Nothing of the host leaks in: empty environment, no arguments.
    let v = run_ok(&rt, "import os, sys\nsorted(os.environ), sys.argv").await;
    assert_eq!(v["result"], "([], [])");
    assert_next_call_works(&rt).await;
}

#[tokio::test]
async fn a_busy_loop_hits_the_time_limit() {
    let dir = tempfile::tempdir().unwrap();
    let rt = with_limits(&dir, 1500, 256).await;
    assert_violation(&outcome(&rt, "while True:\n    pass").await, "timeout_ms");
    assert_violation(&outcome(&rt, "n = 0\nwhile True:\n    n += 1").await, "timeout_ms");
    assert_next_call_works(&rt).await;
}

#[tokio::test]
async fn a_blocking_sleep_hits_the_time_limit() {
    let dir = tempfile::tempdir().unwrap();
    let rt = with_limits(&dir, 1500, 256).await;
    assert_violation(&outcome(&rt, "import time\ntime.sleep(100)").await, "timeout_ms");
    assert_next_call_works(&rt).await;
    // A short sleep is fine.
    let v = run_ok(&rt, "import time\ntime.sleep(0.01)\n'slept'").await;
    assert_eq!(v["result"], "'slept'");
}

#[tokio::test]
async fn memory_bombs_are_stopped_and_the_host_survives() {
    let dir = tempfile::tempdir().unwrap();
    let rt = with_limits(&dir, 20_000, 64).await;
    for bomb in [
        "x = bytearray(10**9)",
        "chunks = []\nwhile True:\n    chunks.append('x' * 10**6)",
        "x = [0] * (10**8)",
        "try:\n    x = bytearray(10**9)\nexcept MemoryError:\n    print('caught')",
    ] {
        match outcome(&rt, bomb).await {
            // Refused growth is the memory_mib rule (even when Python went on to catch
            // the MemoryError it turned into).
            o @ Outcome::Violation { .. } => assert_violation(&o, "memory_mib"),
            Outcome::Ok(t) => {
                let v: Value = serde_json::from_str(&t).unwrap();
                assert!(
                    v["error"]["type"] == "MemoryError" || v["stdout"] == "caught\n",
                    "{bomb:?}: {v}"
                );
            }
            other => panic!("{bomb:?}: expected the memory limit, got {other:?}"),
        }
        assert_next_call_works(&rt).await;
    }
    // Sizes Python itself refuses on wasm32 are a plain OverflowError/MemoryError.
    let v = run(&rt, "'x' * (10**12)").await;
    assert!(matches!(v["error"]["type"].as_str(), Some("OverflowError" | "MemoryError")), "{v}");
}

#[tokio::test]
async fn output_floods_are_capped_in_the_guest() {
    let rt = shipped().await;
    let v = run(&rt, "while True:\n    print('spam' * 100)").await;
    assert_eq!(v["stdout_truncated"], true);
    let out = v["stdout"].as_str().unwrap();
    assert!(out.starts_with("spamspam") && out.chars().count() <= 200_000, "{}", out.len());
    assert_eq!(v["error"]["type"], "OutputLimitExceeded");
    assert!(v["error"]["message"].as_str().unwrap().contains("stdout"));
    // `except Exception` in the program does not keep the flood going.
    let v = run(&rt, "while True:\n    try:\n        print('x' * 1000)\n    except Exception:\n        pass").await;
    assert_eq!(v["error"]["type"], "OutputLimitExceeded");
    // stderr has its own cap; a flood of it ends the same way.
    let v = run(&rt, "import sys\nwhile True:\n    sys.stderr.write('e' * 1000)").await;
    assert_eq!((v["stderr_truncated"].as_bool(), v["error"]["type"].as_str()), (Some(true), Some("OutputLimitExceeded")));
    // Writing past the host's own pipe with os.write fails in Python, not in the host.
    let v = run(&rt, "import os\nfor _ in range(1000):\n    os.write(1, b'x' * 10000)").await;
    assert_eq!(v["error"]["type"], "BrokenPipeError");
    // A huge final value is cut, not refused.
    let v = run_ok(&rt, "'y' * 10**6").await;
    let r = v["result"].as_str().unwrap();
    assert!(r.len() < 100_000 && r.contains("more characters cut"), "{}", r.len());
    assert_next_call_works(&rt).await;
}

#[tokio::test]
async fn every_call_starts_a_fresh_interpreter() {
    let rt = shipped().await;
    run_ok(&rt, "secret_value = 41\nimport builtins\nbuiltins.leak = 1").await;
    let v = run(&rt, "secret_value").await;
    assert_eq!(v["error"]["type"], "NameError");
    let v = run(&rt, "leak").await;
    assert_eq!(v["error"]["type"], "NameError");
    // random is seeded per call from the runtime (same call index and seed: same
    // numbers; another call index: others), not frozen in the build snapshot.
    let code = json!({"code": "import random\n[random.random() for _ in range(3)]"}).to_string();
    let result = |o: Outcome| match o {
        Outcome::Ok(t) => serde_json::from_str::<Value>(&t).unwrap()["result"].clone(),
        other => panic!("{other:?}"),
    };
    let a = result(rt.call(TOOL, &code, &opts(1)).await.unwrap().outcome);
    let b = result(rt.call(TOOL, &code, &opts(1)).await.unwrap().outcome);
    let c = result(rt.call(TOOL, &code, &opts(2)).await.unwrap().outcome);
    assert_eq!(a, b);
    assert_ne!(a, c);
}

#[tokio::test]
async fn many_python_instances_at_once() {
    // 48 live instances × 14 core instances each must fit the pooling allocator.
    let rt = shipped().await;
    let calls = (0..48).map(|i| {
        let rt = rt.clone();
        tokio::spawn(async move {
            let code = json!({ "code": format!("sum(range({i}))") }).to_string();
            let o = rt.call(TOOL, &code, &opts(i)).await.unwrap().outcome;
            (i, o)
        })
    });
    for h in futures::future::join_all(calls).await {
        let (i, o) = h.unwrap();
        match o {
            Outcome::Ok(t) => {
                let v: Value = serde_json::from_str(&t).unwrap();
                assert_eq!(v["result"], (0..i).sum::<u64>().to_string());
            }
            other => panic!("call {i}: {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_second_process_loads_the_compiled_component_from_the_cache() {
    shipped().await; // compiled into target/test-component-cache at the latest here
    let out = tokio::process::Command::new(dive_bin())
        .args(["--no-builtin", "--tools"])
        .arg(package_dir())
        .args(["-v", "call", TOOL, r#"{"code": "print(2 + 2)"}"#])
        .env_clear()
        .env("DIVE_BUILTIN_TOOLS", "")
        .env("DIVE_CACHE_DIR", repo_root().join("target/test-component-cache"))
        .env("HOME", std::env::temp_dir())
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["stdout"], "4\n");
    assert!(stderr.contains("loaded from the compiled-component cache"), "{stderr}");
}
