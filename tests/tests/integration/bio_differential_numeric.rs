//! Differential test of the local numeric biological tools (pairwise2, pdb,
//! svdsuperimposer, cluster)
//! against Biopython: tests/bio/oracle_numeric.py generates randomized cases for every
//! tool and computes each expected result (or expected rejection) with Biopython 1.88
//! and numpy; every case is then called through the runtime on the built-in pool and
//! compared field by field.
//!
//! Floats are compared within a per-tool tolerance, the tightest one each
//! computation justifies:
//! - pdb_is_aa, pdb_is_nucleic: exact (no floats).
//! - pairwise2_*: exact. The scores are sums of the same scores and penalties in the
//!   same order as Biopython's C matrix fill, and the alignments, their order, scores,
//!   starts and ends come from the same traceback.
//! - pdb_calc_angle: 2 units in the last place. The tool repeats Biopython's
//!   floating-point steps exactly (left-to-right dot products, the clamp), so the
//!   cosine is bit-identical; only `arccos` differs: numpy's vectorised arccos (SVML
//!   on AVX-512 machines) and WASI libc's `acos` disagree in the last bit on ~10% of
//!   inputs.
//! - pdb_calc_dihedral: the cross products are numpy 2x2 determinants, computed as
//!   `sign * exp(log|u11| + log|u22|)`; the tool repeats those steps, but glibc's
//!   FMA-variant `log`/`exp` and WASI libc's can differ in the last bit, and a
//!   last-bit change in a cross product moves the angle by up to eps times the
//!   condition of that product, |a||b|/|a x b| (large for nearly collinear points).
//!   So the tolerance is 16 eps times the larger of the two conditions (and at least
//!   4 ulp of pi), compared on the circle: a dihedral of (nearly) pi may come out as
//!   -pi on one side and +pi on the other, and Biopython's sign of a dihedral of
//!   (nearly) 0 is decided by rounding noise.
//! - svd_superimpose: 1e-9 relative to the coordinates' magnitude. numpy's SVD is
//!   LAPACK's dgesdd, ours a one-sided Jacobi iteration; both are backward stable, so
//!   results agree to a few eps times the condition of the problem (the oracle's
//!   accepted inputs are non-degenerate point sets). The rotation does not depend on
//!   the signs of the singular vectors (Biopython's determinant fix removes the only
//!   sign ambiguity), so no sign normalisation is needed.
//! - cluster_distancematrix, cluster_treecluster: exact. The tools repeat Bio.Cluster's
//!   C arithmetic (same sums in the same order, same tie-breaking: the first closest
//!   pair in row order, a stable sort of single-linkage nodes).
//! - cluster_pca: Bio.Cluster's SVD is a Golub-Reinsch iteration, ours a one-sided
//!   Jacobi one. Compared: column means and singular values within 1e-9 S (S: the
//!   largest singular value or column mean, at least 1); each component whose singular
//!   value is separated from all others by a gap g > 1e-6 S, within 1e-9 S/g after
//!   aligning its sign with Biopython's (a component's sign is arbitrary: Biopython
//!   gives whatever its SVD produced), and its coordinate column likewise (times the
//!   component's sign); components of tied or zero singular values are not unique, so
//!   for them the test checks what must hold: the components are orthonormal and
//!   column_mean + coordinates . components rebuilds the data within 1e-9 S.
//!
//! DIVE_BIO_SEED and DIVE_BIO_CASES (cases per tool, default 100) choose the run.

use dive_runtime::runtime::ToolErrorKind;
use dive_runtime::{CallError, Outcome, Runtime};
use futures::future::join_all;
use serde_json::{json, Value};
use dive_integration_tests::bio::{builtin_runtime as runtime, call_opts as opts, short, OracleCase as Case};

fn oracle_cases() -> Vec<Case> {
    dive_integration_tests::bio::oracle_cases("tests/bio/oracle_numeric.py", "Bio, numpy")
}

const TOOLS: [&str; 12] = [
    "pairwise2_global_align",
    "pairwise2_local_align",
    "pairwise2_globalxx",
    "pairwise2_localxx",
    "cluster_distancematrix",
    "cluster_treecluster",
    "cluster_pca",
    "pdb_is_aa",
    "pdb_is_nucleic",
    "pdb_calc_angle",
    "pdb_calc_dihedral",
    "svd_superimpose",
];

/// Calls in flight at once.
const CHUNK: usize = 64;











/// The tolerance of a dihedral in radians (see the module documentation).
fn dihedral_tolerance(args: &Value) -> f64 {
    let p = |k: &str| -> [f64; 3] {
        let a = args[k].as_array().unwrap();
        [
            a[0].as_f64().unwrap(),
            a[1].as_f64().unwrap(),
            a[2].as_f64().unwrap(),
        ]
    };
    let sub = |a: [f64; 3], b: [f64; 3]| [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
    let cross = |a: [f64; 3], b: [f64; 3]| {
        [
            a[1] * b[2] - a[2] * b[1],
            a[2] * b[0] - a[0] * b[2],
            a[0] * b[1] - a[1] * b[0],
        ]
    };
    let norm = |a: [f64; 3]| (a[0] * a[0] + a[1] * a[1] + a[2] * a[2]).sqrt();
    let (ab, cb, db) = (
        sub(p("v1"), p("v2")),
        sub(p("v3"), p("v2")),
        sub(p("v4"), p("v3")),
    );
    let cond = |x: [f64; 3], y: [f64; 3]| norm(x) * norm(y) / norm(cross(x, y));
    let c = cond(ab, cb).max(cond(db, cb));
    (16.0 * f64::EPSILON * c).max(4.0 * f64::EPSILON * std::f64::consts::PI)
}

/// Distance on a circle of the given period.
fn circular(a: f64, b: f64, period: f64) -> f64 {
    let d = (a - b).abs() % period;
    d.min(period - d)
}

fn same_dihedral(got: &Value, want: &Value, args: &Value) -> bool {
    let tol = dihedral_tolerance(args);
    let f = |v: &Value, k: &str| v[k].as_f64();
    match (
        f(got, "radians"),
        f(want, "radians"),
        f(got, "degrees"),
        f(want, "degrees"),
    ) {
        (Some(gr), Some(wr), Some(gd), Some(wd)) => {
            got.as_object().map(|o| o.len()) == Some(2)
                && circular(gr, wr, 2.0 * std::f64::consts::PI) <= tol
                && circular(gd, wd, 360.0) <= tol.to_degrees()
        }
        _ => false,
    }
}

fn floats(v: &Value) -> Option<Vec<f64>> {
    v.as_array()?.iter().map(|x| x.as_f64()).collect()
}

fn matrix(v: &Value) -> Option<Vec<Vec<f64>>> {
    v.as_array()?.iter().map(floats).collect()
}

/// The PCA comparison described in the module documentation.
fn same_pca(got: &Value, want: &Value, args: &Value) -> Result<(), String> {
    let keys: Vec<&String> = got.as_object().ok_or("not an object")?.keys().collect();
    if keys != ["column_mean", "coordinates", "components", "eigenvalues"] {
        return Err(format!("fields {keys:?}"));
    }
    let field = |v: &Value, k: &str| v.get(k).cloned().unwrap_or(Value::Null);
    let (gm, wm) = (
        floats(&field(got, "column_mean")).ok_or("column_mean")?,
        floats(&field(want, "column_mean")).unwrap(),
    );
    let (ge, we) = (
        floats(&field(got, "eigenvalues")).ok_or("eigenvalues")?,
        floats(&field(want, "eigenvalues")).unwrap(),
    );
    let gc = matrix(&field(got, "components")).ok_or("components")?;
    let wc = matrix(&field(want, "components")).unwrap();
    let gx = matrix(&field(got, "coordinates")).ok_or("coordinates")?;
    let wx = matrix(&field(want, "coordinates")).unwrap();
    let data = matrix(&args["data"]).unwrap();
    let shape = |m: &Vec<Vec<f64>>| (m.len(), m.first().map_or(0, |r| r.len()));
    if gm.len() != wm.len()
        || ge.len() != we.len()
        || shape(&gc) != shape(&wc)
        || shape(&gx) != shape(&wx)
    {
        return Err("shapes differ".into());
    }
    let scale = we
        .iter()
        .chain(wm.iter())
        .fold(1.0f64, |m, x| m.max(x.abs()));
    let tol = 1e-9 * scale;
    for (a, b) in gm.iter().zip(&wm).chain(ge.iter().zip(&we)) {
        if (a - b).abs() > tol {
            return Err(format!("column mean or singular value {a} vs {b}"));
        }
    }
    let n = we.len();
    for k in 0..n {
        let gap = (0..n)
            .filter(|&j| j != k)
            .map(|j| (we[k] - we[j]).abs())
            .fold(f64::INFINITY, f64::min);
        let gap = if n == 1 { scale } else { gap };
        if gap <= 1e-6 * scale || we[k] <= 1e-6 * scale {
            continue;
        }
        let dot: f64 = gc[k].iter().zip(&wc[k]).map(|(a, b)| a * b).sum();
        let sign = if dot < 0.0 { -1.0 } else { 1.0 };
        let ctol = 1e-9 * scale / gap;
        for (a, b) in gc[k].iter().zip(&wc[k]) {
            if (sign * a - b).abs() > ctol {
                return Err(format!(
                    "component {k}: {a} vs {b} (sign {sign}, tolerance {ctol:e})"
                ));
            }
        }
        for (gr, wr) in gx.iter().zip(&wx) {
            if (sign * gr[k] - wr[k]).abs() > ctol * scale + tol {
                return Err(format!("coordinate column {k}: {} vs {}", gr[k], wr[k]));
            }
        }
    }
    for (i, a) in gc.iter().enumerate() {
        for (j, b) in gc.iter().enumerate() {
            let dot: f64 = a.iter().zip(b).map(|(x, y)| x * y).sum();
            if (dot - if i == j { 1.0 } else { 0.0 }).abs() > 1e-9 {
                return Err(format!("components {i} and {j} are not orthonormal: {dot}"));
            }
        }
    }
    for (i, row) in data.iter().enumerate() {
        for (j, x) in row.iter().enumerate() {
            let back = gm[j] + (0..n).map(|k| gx[i][k] * gc[k][j]).sum::<f64>();
            if (back - x).abs() > tol {
                return Err(format!("data[{i}][{j}] = {x} rebuilt as {back}"));
            }
        }
    }
    Ok(())
}

/// How two floats may differ for a tool (see the module documentation).
#[derive(Clone, Copy)]
enum Tolerance {
    /// At most this many units in the last place of the larger magnitude.
    Ulps(f64),
    /// At most this much, absolute.
    Abs(f64),
}

fn tolerance(tool: &str, args: &Value) -> Tolerance {
    match tool {
        "pdb_calc_angle" => Tolerance::Ulps(2.0),
        "svd_superimpose" => {
            let mut scale = 1.0f64;
            for key in ["coordinates1", "coordinates2"] {
                for p in args[key].as_array().into_iter().flatten() {
                    for x in p.as_array().into_iter().flatten() {
                        scale = scale.max(x.as_f64().unwrap_or(0.0).abs());
                    }
                }
            }
            Tolerance::Abs(1e-9 * scale)
        }
        _ => Tolerance::Abs(0.0),
    }
}

fn close(a: f64, b: f64, tol: Tolerance) -> bool {
    if a == b {
        return true;
    }
    match tol {
        Tolerance::Ulps(n) => {
            let m = a.abs().max(b.abs());
            (a - b).abs() <= n * f64::EPSILON * m
        }
        Tolerance::Abs(t) => (a - b).abs() <= t,
    }
}

/// Same JSON shape and key order, equal strings, booleans and integers; floats within
/// the tolerance.
fn same(got: &Value, want: &Value, tol: Tolerance) -> bool {
    match (got, want) {
        (Value::Number(g), Value::Number(w)) => {
            if g.is_f64() || w.is_f64() {
                close(g.as_f64().unwrap(), w.as_f64().unwrap(), tol)
            } else {
                g == w
            }
        }
        (Value::Array(g), Value::Array(w)) => {
            g.len() == w.len() && g.iter().zip(w).all(|(a, b)| same(a, b, tol))
        }
        (Value::Object(g), Value::Object(w)) => {
            g.len() == w.len()
                && g.iter()
                    .zip(w)
                    .all(|((ka, va), (kb, vb))| ka == kb && same(va, vb, tol))
        }
        _ => got == want,
    }
}

/// None when the call agrees with the expectation, else a report of the difference.
async fn check(rt: &Runtime, case: &Case) -> Option<String> {
    let args = case.args.to_string();
    let result = rt.call(&case.tool, &args, &opts()).await;
    let got = match &result {
        Ok(record) => match &record.outcome {
            Outcome::Ok(text) => Ok(serde_json::from_str::<Value>(text).expect("results are JSON")),
            Outcome::ToolError {
                kind: ToolErrorKind::InvalidArgs,
                ..
            } => Err("tool invalid_args".to_string()),
            other => Err(format!("{other:?}")),
        },
        Err(CallError::InvalidArgs { .. }) => Err("schema invalid_args".to_string()),
        Err(e) => Err(format!("call error: {e}")),
    };
    let want = match (case.expected.get("ok"), case.expected.get("rejected_by")) {
        (Some(ok), _) => Ok(ok.clone()),
        (None, Some(_)) => Err("schema invalid_args".to_string()),
        (None, None) => Err("tool invalid_args".to_string()),
    };
    let agree = match (&got, &want) {
        (Ok(g), Ok(w)) if case.tool == "pdb_calc_dihedral" => same_dihedral(g, w, &case.args),
        (Ok(g), Ok(w)) if case.tool == "cluster_pca" => match same_pca(g, w, &case.args) {
            Ok(()) => true,
            Err(why) => {
                eprintln!("cluster_pca: {why}");
                false
            }
        },
        (Ok(g), Ok(w)) => same(g, w, tolerance(&case.tool, &case.args)),
        (Err(g), Err(w)) => g == w,
        _ => false,
    };
    if agree {
        return None;
    }
    let show = |v: &Result<Value, String>| match v {
        Ok(v) => format!("ok {v}"),
        Err(e) => e.clone(),
    };
    let detail = match &result {
        Ok(record) => match &record.outcome {
            Outcome::ToolError { message, .. } => format!(" ({message})"),
            _ => String::new(),
        },
        Err(e) => format!(" ({e})"),
    };
    Some(format!(
        "{}\n  args:     {}\n  expected: {}\n  got:      {}{}",
        case.tool,
        short(&args),
        short(&show(&want)),
        short(&show(&got)),
        short(&detail)
    ))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn numeric_bio_tools_agree_with_biopython() {
    let cases = oracle_cases();
    let rt = runtime().await;
    for name in TOOLS {
        assert!(
            rt.tool(name).is_some(),
            "the built-in pool has no tool {name}"
        );
        assert!(
            cases.iter().any(|c| c.tool == name),
            "the oracle made no case for {name}"
        );
    }
    let mut failures = Vec::new();
    for chunk in cases.chunks(CHUNK) {
        let reports = join_all(chunk.iter().map(|c| check(&rt, c))).await;
        failures.extend(reports.into_iter().flatten());
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases disagree with Biopython; the first ones:\n{}",
        failures.len(),
        cases.len(),
        failures
            .iter()
            .take(25)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    eprintln!("{} cases agree with Biopython", cases.len());
}

/// The input schemas keep the catalog's facts (types, required, defaults, enums,
/// bounds, array item shapes, additionalProperties = false), and add no other
/// constraint.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn numeric_schemas_keep_the_catalog_facts() {
    let rt = runtime().await;
    let keys = [
        "type",
        "default",
        "enum",
        "minimum",
        "maximum",
        "minLength",
        "maxLength",
        "pattern",
        "minItems",
        "maxItems",
    ];
    fn no_descriptions(v: &Value) -> Value {
        match v {
            Value::Object(o) => Value::Object(
                o.iter()
                    .filter(|(k, _)| k.as_str() != "description")
                    .map(|(k, v)| (k.clone(), no_descriptions(v)))
                    .collect(),
            ),
            Value::Array(a) => Value::Array(a.iter().map(no_descriptions).collect()),
            other => other.clone(),
        }
    }
    let facts = "tests/bio/catalog_facts_numeric.json";
    dive_integration_tests::bio::schemas_keep_the_catalog_facts(&rt, facts, |name, p, have, want| {
        for k in keys {
            assert_eq!(have.get(k), want.get(k), "{name}.{p}: {k}");
        }
        assert_eq!(have.get("items").map(no_descriptions), want.get("items").cloned(), "{name}.{p}: items");
    });
}

/// Arguments that break a tool's schema are refused by the runtime before the guest
/// runs (CallError::InvalidArgs, not a tool error).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn numeric_schema_invalid_args_are_rejected_before_the_guest_runs() {
    let rt = runtime().await;
    let tri = json!([[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]);
    let bad = [
        ("pdb_is_aa", json!({})),
        ("pdb_is_aa", json!({"residue": ""})),
        ("pdb_is_aa", json!({"residue": "ALA", "standard": "yes"})),
        ("pdb_is_nucleic", json!({"residue": "DA", "strict": true})),
        ("pdb_calc_angle", json!({"v1": [1, 0, 0], "v2": [0, 0, 0]})),
        (
            "pdb_calc_angle",
            json!({"v1": [1, 0], "v2": [0, 0, 0], "v3": [0, 1, 0]}),
        ),
        (
            "pdb_calc_angle",
            json!({"v1": [1, 0, 0, 0], "v2": [0, 0, 0], "v3": [0, 1, 0]}),
        ),
        (
            "pdb_calc_dihedral",
            json!({"v1": ["1", 0, 0], "v2": [0, 0, 0], "v3": [0, 1, 0], "v4": [0, 0, 1]}),
        ),
        ("svd_superimpose", json!({"coordinates1": tri})),
        (
            "svd_superimpose",
            json!({"coordinates1": tri, "coordinates2": [[0, 0, 0], [1, 0, 0]]}),
        ),
        (
            "svd_superimpose",
            json!({"coordinates1": tri, "coordinates2": [[0, 0], [1, 0, 0], [0, 1, 0]]}),
        ),
        (
            "svd_superimpose",
            json!({"coordinates1": tri, "coordinates2": tri, "include_transformed": 1}),
        ),
        (
            "pairwise2_global_align",
            json!({"sequence_a": "", "sequence_b": "A"}),
        ),
        (
            "pairwise2_local_align",
            json!({"sequence_a": "A", "sequence_b": "A", "match_score": "2"}),
        ),
        (
            "pairwise2_globalxx",
            json!({"sequence_a": "A", "sequence_b": "A", "match_score": 2}),
        ),
        ("pairwise2_localxx", json!({"sequence_a": "A"})),
        (
            "cluster_distancematrix",
            json!({"data": [[1.0, 2.0]], "dist": "z"}),
        ),
        (
            "cluster_treecluster",
            json!({"data": [[1.0], [2.0]], "method": "w"}),
        ),
        ("cluster_pca", json!({"data": [[1.0, "x"]]})),
        ("cluster_pca", json!({"data": [[1.0]], "transpose": true})),
    ];
    for (tool, args) in bad {
        match rt.call(tool, &args.to_string(), &opts()).await {
            Err(CallError::InvalidArgs { .. }) => {}
            Err(e) => panic!("{tool} {args}: expected a schema rejection, got {e}"),
            Ok(r) => panic!("{tool} {args}: the guest ran: {:?}", r.outcome),
        }
    }
}

/// Inputs the schema allows but the tool refuses end as invalid-args tool errors with
/// a message, never a crash: bad residue names, degenerate geometry, unpaired or
/// collinear point sets, too many points.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn numeric_bad_input_is_an_invalid_args_error() {
    let rt = runtime().await;
    let tri = json!([[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]);
    let line = json!([[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [2.0, 0.0, 0.0]]);
    let many: Vec<[f64; 3]> = (0..100_001)
        .map(|i| [i as f64, (i % 7) as f64, (i % 3) as f64])
        .collect();
    let cases = [
        ("pdb_is_aa", json!({"residue": "ALAN"})),
        ("pdb_is_nucleic", json!({"residue": "D-A"})),
        ("pdb_is_aa", json!({"residue": "Å"})),
        (
            "pdb_calc_angle",
            json!({"v1": [1, 1, 1], "v2": [1, 1, 1], "v3": [0, 1, 0]}),
        ),
        (
            "pdb_calc_angle",
            json!({"v1": [2e15, 0, 0], "v2": [0, 0, 0], "v3": [0, 1, 0]}),
        ),
        (
            "pdb_calc_dihedral",
            json!({"v1": [1, 0, 0], "v2": [0, 0, 0], "v3": [2, 0, 0], "v4": [0, 1, 0]}),
        ),
        (
            "pdb_calc_dihedral",
            json!({"v1": [1, 0, 0], "v2": [0, 0, 0], "v3": [0, 0, 0], "v4": [0, 1, 0]}),
        ),
        (
            "svd_superimpose",
            json!({"coordinates1": tri, "coordinates2": [[0, 0, 0], [1, 0, 0], [0, 1, 0], [1, 1, 1]]}),
        ),
        (
            "svd_superimpose",
            json!({"coordinates1": line, "coordinates2": tri}),
        ),
        (
            "svd_superimpose",
            json!({"coordinates1": many, "coordinates2": many}),
        ),
        (
            "pairwise2_global_align",
            json!({"sequence_a": "A".repeat(5001), "sequence_b": "A"}),
        ),
        (
            "pairwise2_global_align",
            json!({"sequence_a": "AC", "sequence_b": "A", "gap_open": 1}),
        ),
        (
            "pairwise2_global_align",
            json!({"sequence_a": "AC", "sequence_b": "A", "gap_open": -0.1, "gap_extend": -0.5}),
        ),
        (
            "pairwise2_local_align",
            json!({"sequence_a": "AC", "sequence_b": "A", "match_score": 1000}),
        ),
        (
            "pairwise2_globalxx",
            json!({"sequence_a": "A C", "sequence_b": "A"}),
        ),
        (
            "pairwise2_localxx",
            json!({"sequence_a": "AC", "sequence_b": "A", "gap_char": "--"}),
        ),
        (
            "cluster_distancematrix",
            json!({"data": [[1.0, 2.0], [3.0]]}),
        ),
        ("cluster_distancematrix", json!({"data": [[]]})),
        ("cluster_treecluster", json!({"data": [[1.0, 2.0]]})),
        (
            "cluster_treecluster",
            json!({"data": [[1e16, 2.0], [1.0, 2.0]]}),
        ),
        ("cluster_pca", json!({"data": []})),
    ];
    dive_integration_tests::bio::tool_refuses(&rt, &cases).await;
}

/// The heaviest accepted calls of the alignment and cluster tools run inside their
/// packages' time, memory and output limits: two 5 kb sequences (global and local,
/// all alignments and score only), 1,000-item trees and matrices, a Kendall matrix
/// near the work cap, a 100 x 1,000 PCA.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heaviest_calls_fit_the_limits() {
    let rt = runtime().await;
    let mut seed = 12345u64;
    let mut dna = |n: usize| -> String {
        (0..n)
            .map(|_| {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                b"ACGT"[(seed >> 62) as usize] as char
            })
            .collect()
    };
    let (a, b) = (dna(5000), dna(5000));
    let rows: Vec<Vec<f64>> = (0..1000)
        .map(|i| {
            (0..100)
                .map(|j| ((i * 37 + j * 11) % 101) as f64 * 0.5)
                .collect()
        })
        .collect();
    // 500 items of 48 values with Kendall's tau: about 1.4e8 comparisons.
    let kendall: Vec<Vec<f64>> = rows[..500].iter().map(|r| r[..48].to_vec()).collect();
    let wide: Vec<Vec<f64>> = (0..100)
        .map(|i| {
            (0..1000)
                .map(|j| (((i * 7919 + j * 104729) % 1009) as f64).sin())
                .collect()
        })
        .collect();
    let cases = [
        (
            "pairwise2_global_align",
            json!({"sequence_a": a, "sequence_b": b}),
        ),
        (
            "pairwise2_local_align",
            json!({"sequence_a": a, "sequence_b": b}),
        ),
        (
            "pairwise2_globalxx",
            json!({"sequence_a": a, "sequence_b": b}),
        ),
        (
            "pairwise2_global_align",
            json!({"sequence_a": a, "sequence_b": b, "score_only": true}),
        ),
        (
            "cluster_treecluster",
            json!({"data": rows, "method": "c", "dist": "c"}),
        ),
        ("cluster_distancematrix", json!({"data": rows, "dist": "b"})),
        (
            "cluster_treecluster",
            json!({"data": rows, "method": "s", "dist": "e"}),
        ),
        (
            "cluster_distancematrix",
            json!({"data": kendall, "dist": "k"}),
        ),
        ("cluster_pca", json!({"data": wide})),
    ];
    for (tool, args) in cases {
        let r = rt
            .call(tool, &args.to_string(), &opts())
            .await
            .expect("the call runs");
        let Outcome::Ok(_) = &r.outcome else {
            panic!("{tool}: {:?}", r.outcome)
        };
        eprintln!(
            "{tool}: {} ms, peak memory {} MiB, {} bytes out",
            r.usage.wall_us / 1000,
            r.usage.peak_memory_bytes >> 20,
            r.usage.output_bytes
        );
    }
}

/// The largest accepted superposition (100,000 point pairs, transformed coordinates
/// returned) runs inside the package's time, memory and output limits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn superposition_at_the_cap_fits_the_limits() {
    let rt = runtime().await;
    let n = 100_000;
    let reference: Vec<[f64; 3]> = (0..n)
        .map(|i| {
            let t = i as f64;
            [
                123.456 + (t * 0.37).sin() * 50.0,
                -98.765 + (t * 0.11).cos() * 50.0,
                t * 1e-3 - 49.999,
            ]
        })
        .collect();
    // coordinates2 = reference rotated 90 degrees about z and shifted: rms 0 after.
    let moved: Vec<[f64; 3]> = reference
        .iter()
        .map(|p| [-p[1] + 10.0, p[0] - 5.0, p[2] + 1.0])
        .collect();
    let args =
        json!({"coordinates1": reference, "coordinates2": moved, "include_transformed": true});
    let r = rt
        .call("svd_superimpose", &args.to_string(), &opts())
        .await
        .expect("the call runs");
    let Outcome::Ok(text) = &r.outcome else {
        panic!("svd_superimpose on {n} points: {:?}", r.outcome)
    };
    let v: Value = serde_json::from_str(text).unwrap();
    assert_eq!(v["n_points"], json!(n));
    assert!(v["rms"].as_f64().unwrap() < 1e-9, "rms {}", v["rms"]);
    eprintln!(
        "svd_superimpose, {n} points: {} ms, peak memory {} MiB, {} bytes out",
        r.usage.wall_us / 1000,
        r.usage.peak_memory_bytes >> 20,
        r.usage.output_bytes
    );
}

/// Score-only alignment against Biopython's C `PairwiseAligner` (tests/bio/oracle_aligner.py),
/// up to 5 kb x 5 kb, global and local. PairwiseAligner adds the same scores and
/// penalties in another order than pairwise2's matrix fill, so the two may differ in
/// the last bits of a sum of thousands of terms: compared within 1e-9 of the score's
/// magnitude (a real difference is at least the smallest score step, 0.1 here).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn score_only_alignment_agrees_with_pairwise_aligner() {
    let cases = dive_integration_tests::bio::oracle_cases("tests/bio/oracle_aligner.py", "Bio");
    assert!(cases.len() >= 4, "the oracle wrote {} cases", cases.len());
    let rt = runtime().await;
    let mut failures = Vec::new();
    for case in &cases {
        let record = rt.call(&case.tool, &case.args.to_string(), &opts()).await.expect("the call runs");
        let Outcome::Ok(text) = &record.outcome else {
            failures.push(format!("{}: {:?}", case.tool, record.outcome));
            continue;
        };
        let got: Value = serde_json::from_str(text).unwrap();
        let (got, want) = (got["score"].as_f64().unwrap(), case.expected["score"].as_f64().unwrap());
        if (got - want).abs() > 1e-9 * want.abs().max(1.0) {
            let len = case.args["sequence_a"].as_str().unwrap().len();
            failures.push(format!("{} ({len} letters): dive {got} vs PairwiseAligner {want}", case.tool));
        }
    }
    assert!(failures.is_empty(), "{} of {} cases differ:\n{}", failures.len(), cases.len(), failures.join("\n"));
}
