#!/usr/bin/env python3
"""Biopython oracle for the local numeric biological tools (pairwise2, pdb, svdsuperimposer,
cluster).

Generates randomized cases for every tool of those families and writes one JSON line
per case to stdout:

    {"tool": NAME, "args": {...}, "expected": {"ok": RESULT}}
    {"tool": NAME, "args": {...}, "expected": {"error": "invalid_args"}}
    {"tool": NAME, "args": {...}, "expected": {"error": "invalid_args", "rejected_by": "schema"}}

Every RESULT is computed by Biopython 1.88 with numpy (Bio.pairwise2.align.globalms,
localms, globalxx and localxx; Bio.PDB.Polypeptide.is_aa and
is_nucleic on a Bio.PDB Residue of that name, Bio.PDB.vectors.calc_angle and
calc_dihedral on Vectors, Bio.SVDSuperimposer, Bio.Cluster.distancematrix,
treecluster and pca); an input Biopython raises on is
expected to be rejected (invalid_args). Two kinds of rejection are not Biopython's:

* "rejected_by": "schema": the case breaks the tool's published input schema (the
  catalog's types and bounds), built that way on purpose; the runtime must refuse it
  before the tool runs.
* input_rule(): the tools' documented input rules, stricter than Biopython where
  Biopython returns a meaningless value instead of raising: residue names are 1-3
  ASCII letters, digits or spaces; coordinates are at most 1e15 in magnitude; an
  angle whose arm has zero length, a dihedral with a collinear triple or coincident
  middle points (Biopython: a 0/0 cosine that becomes pi), and a superposition where
  a centred point set does not span a plane (second singular value at most 1e-8 times
  the first) or their 3x3 correlation matrix has rank below 2 (ratio 1e-10) are
  rejected, since the rotation is then not unique; at most 100,000 points per set.
  Cluster data: at most 200,000 values of magnitude at most 1e15 (beyond, squared
  differences overflow to infinity, which JSON cannot carry), at most 1,000 items
  and about 3e8 distance operations for a matrix or tree, PCA's smaller dimension at
  most 100. Alignment: sequences of printable ASCII without spaces, at most 5,000
  characters; gap_char one printable ASCII character; scores and penalties within
  [-100, 100]; the tools list the first 100 of Biopython's alignments.

Floats are compared by the Rust test within tolerances explained there. Every float
argument is written with at most 15 significant digits (fifteen(), below): the
runtime's JSON parser (serde_json without its `float_roundtrip` feature) can read a
17-digit decimal 1 unit in the last place off, so the tool would not see the number
Biopython saw; decimals of 15 digits or fewer whose last digit is worth 1e-22 or more
are read exactly (one correctly rounded operation).

Usage: oracle_numeric.py [--seed S] [--count N]   (N cases per tool; defaults from
DIVE_BIO_SEED and DIVE_BIO_CASES, else 1 and 100)
"""

import argparse
import json
import math
import os
import random
import sys
import warnings

warnings.simplefilter("ignore")  # numpy's 0/0 warnings in the degenerate cases, pairwise2's deprecation

try:
    import numpy as np
    import Bio
    from Bio.Data import PDBData
    from Bio.PDB.Polypeptide import is_aa, is_nucleic
    from Bio.PDB.Residue import Residue
    from Bio.PDB.vectors import Vector, calc_angle, calc_dihedral
    from Bio.SVDSuperimposer import SVDSuperimposer
    from Bio import Cluster
    from Bio import pairwise2
except ImportError:  # pragma: no cover
    sys.stderr.write("Biopython and numpy are required: `make setup` installs them\n")
    sys.exit(3)

MAX_COORD = 1e15
MAX_POINTS = 100_000


# --------------------------------------------------------------------------------------
# The tools' input rules (see the module docstring).


def bad_coords(points):
    return any(abs(x) > MAX_COORD for p in points for x in p)


def zero(v):
    return not np.any(v._ar)


def input_rule(tool, a):
    if tool in ("pdb_is_aa", "pdb_is_nucleic"):
        name = a["residue"]
        return not (1 <= len(name) <= 3 and all(c.isascii() and (c.isalnum() or c == " ") for c in name))
    if tool == "pdb_calc_angle":
        if bad_coords([a["v1"], a["v2"], a["v3"]]):
            return True
        v1, v2, v3 = (Vector(a[k]) for k in ("v1", "v2", "v3"))
        return zero(v1 - v2) or zero(v3 - v2)
    if tool == "pdb_calc_dihedral":
        if bad_coords([a["v1"], a["v2"], a["v3"], a["v4"]]):
            return True
        v1, v2, v3, v4 = (Vector(a[k]) for k in ("v1", "v2", "v3", "v4"))
        cb = v3 - v2
        # Biopython's own cross products (Vector.__pow__) decide collinearity.
        return zero(cb) or zero((v1 - v2) ** cb) or zero((v4 - v3) ** cb)
    if tool == "svd_superimpose":
        c1, c2 = a["coordinates1"], a["coordinates2"]
        if len(c1) > MAX_POINTS or len(c2) > MAX_POINTS or bad_coords(c1) or bad_coords(c2):
            return True
        if len(c1) != len(c2):
            return False  # Biopython raises
        if not (spans_a_plane(c1) and spans_a_plane(c2)):
            return True
        x, y = centred(c1), centred(c2)
        s = np.linalg.svd(np.dot(np.transpose(y), x), compute_uv=False)
        return not s[1] > 1e-10 * s[0]
    if tool.startswith("cluster_"):
        return cluster_rule(tool, a)
    if tool.startswith("pairwise2_"):
        seqs_ok = all(len(a[k]) <= 5000 and all(c.isascii() and c.isprintable() and c != " " for c in a[k])
                      for k in ("sequence_a", "sequence_b"))
        g = a.get("gap_char", "-")
        gap_ok = len(g) == 1 and g.isascii() and g.isprintable() and g != " "
        nums_ok = all(abs(a.get(k, 0)) <= 100 for k in ("match_score", "mismatch_score", "gap_open", "gap_extend"))
        return not (seqs_ok and gap_ok and nums_ok)
    return False


MAX_VALUES = 200_000
MAX_ITEMS = 1_000
MAX_WORK = 3e8
MAX_PCA_DIM = 100


def cluster_rule(tool, a):
    data = a["data"]
    if not data or not data[0] or any(len(row) != len(data[0]) for row in data):
        return False  # Biopython raises
    nrows, ncols = len(data), len(data[0])
    if nrows * ncols > MAX_VALUES or any(abs(x) > MAX_COORD for row in data for x in row):
        return True
    if tool == "cluster_pca":
        return min(nrows, ncols) > MAX_PCA_DIM
    nitems, ndata = (ncols, nrows) if a.get("transpose", False) else (nrows, ncols)
    if nitems > MAX_ITEMS:
        return True
    dist = a.get("dist", "e")
    per_pair = ndata * ndata / 2 if dist == "k" else ndata * (2 + math.log2(ndata)) if dist == "s" else ndata
    return nitems * nitems / 2 * max(per_pair, 1.0) > MAX_WORK


def centred(points):
    x = np.array(points, dtype="d")
    return x - sum(x) / x.shape[0]


def spans_a_plane(points):
    """The centred point set spans a plane: second singular value > 1e-8 x the first."""
    s = np.linalg.svd(centred(points), compute_uv=False)
    return s[1] > 1e-8 * s[0]


# --------------------------------------------------------------------------------------
# Expected results, computed by Biopython.


def residue(name):
    return Residue((" ", 1, " "), name, "    ")


def bio_is_aa(a):
    std = a.get("standard", False)
    return {"residue": f"{a['residue']:<3s}".upper(), "standard": std,
            "is_amino_acid": bool(is_aa(residue(a["residue"]), standard=std))}


def bio_is_nucleic(a):
    std = a.get("standard", False)
    return {"residue": f"{a['residue']:<3s}".upper(), "standard": std,
            "is_nucleic_acid": bool(is_nucleic(residue(a["residue"]), standard=std))}


def angle_result(rad):
    rad = float(rad)
    return {"radians": rad, "degrees": math.degrees(rad)}


def bio_calc_angle(a):
    return angle_result(calc_angle(*(Vector(a[k]) for k in ("v1", "v2", "v3"))))


def bio_calc_dihedral(a):
    return angle_result(calc_dihedral(*(Vector(a[k]) for k in ("v1", "v2", "v3", "v4"))))


def bio_superimpose(a):
    ref = np.array(a["coordinates1"], dtype="d")
    coords = np.array(a["coordinates2"], dtype="d")
    sup = SVDSuperimposer()
    sup.set(ref, coords)
    sup.run()
    rot, tran = sup.get_rotran()
    out = {
        "rms": float(sup.get_rms()),
        "init_rms": float(sup.get_init_rms()),
        "rotation": rot.tolist(),
        "translation": tran.tolist(),
        "n_points": len(a["coordinates1"]),
    }
    if a.get("include_transformed", False):
        out["transformed"] = sup.get_transformed().tolist()
    return out


def bio_distancematrix(a):
    dist = a.get("dist", "e")
    m = Cluster.distancematrix(a["data"], dist=dist, transpose=a.get("transpose", False))
    return {"n_items": len(m), "dist": dist, "distances": [row.tolist() for row in m]}


def bio_treecluster(a):
    dist, method = a.get("dist", "e"), a.get("method", "m")
    tree = Cluster.treecluster(a["data"], method=method, dist=dist, transpose=a.get("transpose", False))
    nodes = [{"left": tree[i].left, "right": tree[i].right, "distance": tree[i].distance} for i in range(len(tree))]
    return {"n_items": len(nodes) + 1, "method": method, "dist": dist, "nodes": nodes}


def bio_pca(a):
    columnmean, coordinates, pc, eigenvalues = Cluster.pca(a["data"])
    return {"column_mean": columnmean.tolist(), "coordinates": coordinates.tolist(),
            "components": pc.tolist(), "eigenvalues": eigenvalues.tolist()}


MAX_RETURNED = 100


def bio_pairwise(name, scored, pen_default):
    def run(a):
        kw = {"penalize_end_gaps": a.get("penalize_end_gaps", pen_default), "gap_char": a.get("gap_char", "-"),
              "score_only": a.get("score_only", False), "one_alignment_only": a.get("one_alignment_only", False)}
        fn = getattr(pairwise2.align, name)
        if scored:
            r = fn(a["sequence_a"], a["sequence_b"], a.get("match_score", 2), a.get("mismatch_score", -1),
                   a.get("gap_open", -0.5), a.get("gap_extend", -0.1), **kw)
        else:
            r = fn(a["sequence_a"], a["sequence_b"], **kw)
        if kw["score_only"]:
            return {"score": float(r), "n_alignments": 0, "truncated": False, "alignments": []}
        return {"score": float(r[0].score) if r else None, "n_alignments": len(r), "truncated": len(r) > MAX_RETURNED,
                "alignments": [{"seq_a": x.seqA, "seq_b": x.seqB, "score": float(x.score), "start": x.start, "end": x.end}
                               for x in r[:MAX_RETURNED]]}
    return run


BIOPYTHON = {
    "pairwise2_global_align": bio_pairwise("globalms", True, True),
    "pairwise2_local_align": bio_pairwise("localms", True, False),
    "pairwise2_globalxx": bio_pairwise("globalxx", False, True),
    "pairwise2_localxx": bio_pairwise("localxx", False, False),
    "cluster_distancematrix": bio_distancematrix,
    "cluster_treecluster": bio_treecluster,
    "cluster_pca": bio_pca,
    "pdb_is_aa": bio_is_aa,
    "pdb_is_nucleic": bio_is_nucleic,
    "pdb_calc_angle": bio_calc_angle,
    "pdb_calc_dihedral": bio_calc_dihedral,
    "svd_superimpose": bio_superimpose,
}


def fifteen(v):
    """Round every float in the arguments to 15 significant digits (see the docstring)."""
    if isinstance(v, float):
        if v == 0.0 or not math.isfinite(v):
            return v
        # keep the last digit at 1e-22 or above (one exact power of ten)
        digits = max(1, min(15, 22 + math.floor(math.log10(abs(v)))))
        return float(f"{v:.{digits}g}")
    if isinstance(v, list):
        return [fifteen(x) for x in v]
    if isinstance(v, dict):
        return {k: fifteen(x) for k, x in v.items()}
    return v


def expect(tool, args):
    if input_rule(tool, args):
        return {"error": "invalid_args"}
    try:
        return {"ok": BIOPYTHON[tool](args)}
    except Exception:  # Biopython raised: the tool must reject the input
        return {"error": "invalid_args"}


# --------------------------------------------------------------------------------------
# Case generators. Each returns (args, schema_invalid).


def maybe(r, p):
    return r.random() < p


AA_NAMES = sorted(PDBData.protein_letters_3to1_extended)
NA_NAMES = sorted(PDBData.nucleic_letters_3to1_extended)
NAME_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 "
BAD_NAME_CHARS = ["-", "*", "?", "é", "\t", "_", "'"]


def rand_name(r, known):
    k = r.random()
    if k < 0.45:
        name = r.choice(known).rstrip() if maybe(r, 0.7) else r.choice(known)
    elif k < 0.6:
        name = r.choice(AA_NAMES + NA_NAMES)
    else:
        name = "".join(r.choice(NAME_CHARS) for _ in range(r.randint(1, 3)))
    if maybe(r, 0.3):
        name = name.lower() if maybe(r, 0.5) else "".join(c.lower() if maybe(r, 0.5) else c for c in name)
    if maybe(r, 0.08):
        i = r.randrange(len(name) + 1)
        name = name[:i] + r.choice(BAD_NAME_CHARS) + name[i:]
    if maybe(r, 0.05):
        name = name + r.choice(["A", " ", "XY"])  # too long
    return name


def gen_residue(known):
    def gen(r):
        if maybe(r, 0.03):
            return ({"residue": ""}, True)
        args = {"residue": rand_name(r, known)}
        if maybe(r, 0.6):
            args["standard"] = maybe(r, 0.5)
        return args, False
    return gen


def rand_coord(r):
    k = r.random()
    if k < 0.5:
        return round(r.uniform(-50, 50), 3)
    if k < 0.7:
        return float(r.randint(-3, 3))
    if k < 0.8:
        return r.uniform(-1e6, 1e6)
    if k < 0.9:
        return r.uniform(-1e-6, 1e-6) if maybe(r, 0.5) else r.choice([-1, 1]) * r.uniform(1e-6, 1e-5)
    return r.choice([0.0, 1.0, -1.0, 0.5, 1e-300, 1e10, -1e15, 1e15, 1e16, -2e15, -2.5e-8])


def rand_point(r):
    return [rand_coord(r) for _ in range(3)]


def along(r, p, q):
    """A point on the line through p and q."""
    t = r.choice([0.0, 1.0, -1.0, 2.0, 0.5, r.uniform(-3, 3)])
    return [p[i] + t * (q[i] - p[i]) for i in range(3)]


def schema_break_point(r, args, keys):
    k = r.choice(keys)
    bad = r.choice([[1.0, 2.0], [1.0, 2.0, 3.0, 4.0], ["1", 2, 3], [None, 0, 0], []])
    args[k] = bad
    return args


def gen_angle(r):
    v1, v2, v3 = rand_point(r), rand_point(r), rand_point(r)
    k = r.random()
    if k < 0.1:
        v1 = list(v2)
    elif k < 0.2:
        v3 = along(r, v2, v1)  # collinear: angle 0 or pi (or a zero arm)
    elif k < 0.25:
        v3 = [v2[0] + r.choice([1, -1]), v2[1], v2[2]]
        v1 = [v2[0], v2[1] + r.choice([1, -1]), v2[2]]
    args = {"v1": v1, "v2": v2, "v3": v3}
    if maybe(r, 0.03):
        return schema_break_point(r, args, ["v1", "v2", "v3"]), True
    return args, False


def gen_dihedral(r):
    v1, v2, v3, v4 = (rand_point(r) for _ in range(4))
    k = r.random()
    if k < 0.08:
        v1 = along(r, v2, v3)
    elif k < 0.16:
        v4 = along(r, v2, v3)
    elif k < 0.2:
        v3 = list(v2)
    elif k < 0.35:
        # planar: cis (0) or trans (pi) arrangements, exact small integers
        base = [float(r.randint(-3, 3)) for _ in range(3)]
        v2 = base
        v3 = [base[0], base[1] + r.choice([1.0, 2.0]), base[2]]
        v1 = [base[0] + r.choice([1.0, -1.0, 2.0]), base[1] + r.choice([0.0, -1.0]), base[2]]
        v4 = [v3[0] + r.choice([1.0, -1.0, -2.0]), v3[1] + r.choice([0.0, 1.0]), v3[2]]
    elif k < 0.45:
        # a realistic backbone-like torsion: bonded points about 1.5 apart
        v1 = rand_point(r)
        v2 = [v1[i] + r.uniform(-1.5, 1.5) for i in range(3)]
        v3 = [v2[i] + r.uniform(-1.5, 1.5) for i in range(3)]
        v4 = [v3[i] + r.uniform(-1.5, 1.5) for i in range(3)]
    args = {"v1": v1, "v2": v2, "v3": v3, "v4": v4}
    if maybe(r, 0.03):
        return schema_break_point(r, args, ["v1", "v2", "v3", "v4"]), True
    return args, False


def rotation_matrix(r):
    q = [r.gauss(0, 1) for _ in range(4)]
    n = math.sqrt(sum(x * x for x in q))
    w, x, y, z = (v / n for v in q)
    return [[1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
            [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
            [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)]]


def gen_superimpose(r):
    n = r.choice([3, 3, 4, 5, 8, 12, 30, r.randint(3, 200)])
    scale = r.choice([1.0, 10.0, 50.0, 1000.0])
    ref = [[r.uniform(-scale, scale) for _ in range(3)] for _ in range(n)]
    k = r.random()
    if k < 0.3:
        # a rotated, shifted, noisy copy (noise 0 = exact superposition)
        m = rotation_matrix(r)
        t = [r.uniform(-scale, scale) for _ in range(3)]
        noise = r.choice([0.0, 1e-6, 0.01, 0.5]) * scale
        coords = [[sum(p[j] * m[j][i] for j in range(3)) + t[i] + r.gauss(0, 1) * noise for i in range(3)] for p in ref]
    elif k < 0.4:
        coords = [[-p[0], p[1], p[2]] for p in ref]  # a mirror image: the reflection fix
    elif k < 0.48:
        ref = [[p[0], p[1], 0.0] for p in ref]  # planar reference
        coords = [[r.uniform(-scale, scale) for _ in range(3)] for _ in range(n)]
    elif k < 0.54:
        a, b = rand_point(r), rand_point(r)  # a collinear set
        ref = [along(r, a, b) for _ in range(n)]
        coords = [[r.uniform(-scale, scale) for _ in range(3)] for _ in range(n)]
        if maybe(r, 0.5):
            ref, coords = coords, ref
    elif k < 0.57:
        ref = [[1.0, 2.0, 3.0]] * n  # one repeated point
        coords = [[r.uniform(-scale, scale) for _ in range(3)] for _ in range(n)]
    elif k < 0.62:
        coords = [[r.uniform(-scale, scale) for _ in range(3)] for _ in range(n + r.choice([-1, 1, 2]))]
        if len(coords) < 3:
            coords.append([0.0, 0.0, 0.0])
    else:
        coords = [[r.uniform(-scale, scale) for _ in range(3)] for _ in range(n)]
    if maybe(r, 0.1):
        ref = [[round(x, 3) for x in p] for p in ref]
        coords = [[round(x, 3) for x in p] for p in coords]
    args = {"coordinates1": ref, "coordinates2": coords}
    if maybe(r, 0.4):
        args["include_transformed"] = maybe(r, 0.6)
    if maybe(r, 0.03):
        k = r.choice(["coordinates1", "coordinates2"])
        args[k] = r.choice([args[k][:2], [[1.0, 2.0]] + args[k][1:], [[1, 2, 3, 4]] + args[k][1:]])
        return args, True
    if maybe(r, 0.01):
        args["coordinates1"][0][0] = r.choice([2e15, -1e16, 1e15])
    return args, False


DISTS = list("ebcauxsk")
METHODS = list("msca")


def rand_matrix(r):
    shape = r.random()
    if shape < 0.6:
        nrows, ncols = r.randint(1, 8), r.randint(1, 8)
    elif shape < 0.9:
        nrows, ncols = r.randint(1, 30), r.randint(1, 12)
    else:
        nrows, ncols = r.randint(20, 80), r.randint(1, 40)
    style = r.random()
    if style < 0.35:
        cell = lambda: float(r.randint(-3, 3))  # many ties
    elif style < 0.45:
        cell = lambda: float(r.randint(0, 1))
    elif style < 0.85:
        cell = lambda: round(r.uniform(-10, 10), r.choice([1, 3, 6]))
    else:
        cell = lambda: r.uniform(-1e6, 1e6) * r.choice([1, 1e-9, 1e-3])
    data = [[cell() for _ in range(ncols)] for _ in range(nrows)]
    k = r.random()
    if k < 0.05 and nrows > 1:
        data[1] = list(data[0])  # a duplicate row
    elif k < 0.1:
        data[0] = [data[0][0]] * ncols  # a constant row
    elif k < 0.13:
        data[-1] = [0.0] * ncols  # a zero row
    elif k < 0.16 and nrows > 1:
        data[1] = [2 * x + 1 for x in data[0]]  # perfectly correlated rows
    elif k < 0.18:
        data[0][0] = r.choice([2e15, -1e16, 1e15])
    elif k < 0.2:
        data[r.randrange(nrows)] = data[0][:-1] if ncols > 1 else []  # ragged / empty row
    elif k < 0.21:
        data = [[]]
    elif k < 0.22:
        data = []
    return data


def gen_cluster(with_dist, with_method):
    def gen(r):
        args = {"data": rand_matrix(r)}
        if with_dist and maybe(r, 0.9):
            args["dist"] = r.choice(DISTS)
        if with_method and maybe(r, 0.9):
            args["method"] = r.choice(METHODS)
        if with_dist and maybe(r, 0.5):
            args["transpose"] = maybe(r, 0.5)
        if maybe(r, 0.02):
            k = r.choice(["dist", "method", "data"] if with_dist else ["data"])
            args[k] = {"dist": "E", "method": "x", "data": [[1.0, "2"]]}[k]
            return args, True
        return args, False
    return gen


ALPHABETS = ["AC", "ACGT", "ACGT", "ACGU", "acgtACGT", "ACDEFGHIKLMNPQRSTVWY", "AB-", "A"]


def rand_seq(r, alphabet, n):
    return "".join(r.choice(alphabet) for _ in range(n))


def gen_pairwise(scored):
    def gen(r):
        alphabet = r.choice(ALPHABETS)
        n = r.choice([1, 2, 3, r.randint(1, 8), r.randint(1, 12), r.randint(5, 25), r.randint(20, 60)])
        m = r.choice([1, 2, n, r.randint(1, 10), r.randint(1, 25)])
        if len(set(alphabet)) <= 3:
            # Few letters make exponentially many tied paths, which Biopython's
            # traceback explores for minutes: keep those sequences short.
            n, m = min(n, 12), min(m, 12)
        a = rand_seq(r, alphabet, n)
        b = rand_seq(r, alphabet, m) if maybe(r, 0.8) else a[r.randrange(len(a)):] + rand_seq(r, alphabet, 2)
        if maybe(r, 0.05):
            b = a  # identical
        if maybe(r, 0.03):
            a = a[:1] + r.choice([" ", "é", "\t"]) + a[1:]
        args = {"sequence_a": a, "sequence_b": b}
        if scored:
            for k, choices in (("match_score", [1, 2, 3, 5, 1.5, 0.5, 10, 0, -1]),
                               ("mismatch_score", [-1, -2, 0, -0.5, -3, 1, -1.25]),
                               ("gap_open", [-0.5, -1, -2, -10, 0, -0.1, -3.5, 0.5]),
                               ("gap_extend", [-0.1, -0.5, -1, 0, -0.05, -2, 0.1])):
                if maybe(r, 0.7):
                    args[k] = r.choice(choices)
            if args.get("match_score", 2) <= max(0, args.get("mismatch_score", -1)):
                # Matches scoring no better than mismatches make exponentially many
                # tied paths for Biopython's traceback: keep those sequences short.
                args["sequence_a"], args["sequence_b"] = a[:6], args["sequence_b"][:6]
            if maybe(r, 0.02):
                args["match_score"] = r.choice([101, -150.5])
        for k in ("score_only", "one_alignment_only", "penalize_end_gaps"):
            if maybe(r, 0.4):
                args[k] = maybe(r, 0.5 if k != "score_only" else 0.3)
        if maybe(r, 0.15):
            args["gap_char"] = r.choice(["-", ".", "_", "*", "~", "", "--", " ", "é"])
        if maybe(r, 0.02):
            k = r.choice(["sequence_a", "score_only", "gap_char"])
            args[k] = {"sequence_a": "", "score_only": "yes", "gap_char": 1}[k]
            return args, True
        return args, False
    return gen


GENERATORS = {
    "pairwise2_global_align": gen_pairwise(True),
    "pairwise2_local_align": gen_pairwise(True),
    "pairwise2_globalxx": gen_pairwise(False),
    "pairwise2_localxx": gen_pairwise(False),
    "cluster_distancematrix": gen_cluster(True, False),
    "cluster_treecluster": gen_cluster(True, True),
    "cluster_pca": gen_cluster(False, False),
    "pdb_is_aa": gen_residue(sorted(PDBData.protein_letters_3to1_extended)),
    "pdb_is_nucleic": gen_residue(sorted(PDBData.nucleic_letters_3to1_extended)),
    "pdb_calc_angle": gen_angle,
    "pdb_calc_dihedral": gen_dihedral,
    "svd_superimpose": gen_superimpose,
}


def fixed_cases():
    """Edge cases included in every run, whatever the seed."""
    cases = []
    for name in ["ALA", "ala", "Gly", "MSE", "FME", "DA", "DA ", "A", "a", "U", "PSU", "HOH", "UNK",
                 "XYZ", "A2L", " A", "  A", "   ", "DT", "dt", "X", "N"]:
        for std in [False, True]:
            cases.append(("pdb_is_aa", {"residue": name, "standard": std}))
            cases.append(("pdb_is_nucleic", {"residue": name, "standard": std}))
    cases.append(("pdb_is_aa", {"residue": "ALAN"}))
    cases.append(("pdb_is_nucleic", {"residue": "D-A"}))
    A = "pdb_calc_angle"
    cases += [
        (A, {"v1": [1.0, 0.0, 0.0], "v2": [0.0, 0.0, 0.0], "v3": [0.0, 1.0, 0.0]}),
        (A, {"v1": [1.0, 0.0, 0.0], "v2": [0.0, 0.0, 0.0], "v3": [2.0, 0.0, 0.0]}),
        (A, {"v1": [1.0, 0.0, 0.0], "v2": [0.0, 0.0, 0.0], "v3": [-3.0, 0.0, 0.0]}),
        (A, {"v1": [1.0, 1.0, 1.0], "v2": [1.0, 1.0, 1.0], "v3": [0.0, 1.0, 0.0]}),
        (A, {"v1": [1.0, 2.0, 3.0], "v2": [4.0, 5.0, 6.0], "v3": [7.0, 8.0, 10.0]}),
    ]
    D = "pdb_calc_dihedral"
    cases += [
        (D, {"v1": [1.0, 0.0, 0.0], "v2": [0.0, 0.0, 0.0], "v3": [0.0, 1.0, 0.0], "v4": [0.0, 1.0, 1.0]}),
        (D, {"v1": [1.0, 0.0, 0.0], "v2": [0.0, 0.0, 0.0], "v3": [0.0, 1.0, 0.0], "v4": [0.0, 1.0, -1.0]}),
        (D, {"v1": [1.0, 0.0, 0.0], "v2": [0.0, 0.0, 0.0], "v3": [0.0, 1.0, 0.0], "v4": [1.0, 1.0, 0.0]}),
        (D, {"v1": [1.0, 0.0, 0.0], "v2": [0.0, 0.0, 0.0], "v3": [0.0, 1.0, 0.0], "v4": [-1.0, 1.0, 0.0]}),
        (D, {"v1": [1.0, 0.0, 0.0], "v2": [0.0, 0.0, 0.0], "v3": [2.0, 0.0, 0.0], "v4": [0.0, 1.0, 0.0]}),
        (D, {"v1": [1.0, 0.0, 0.0], "v2": [0.0, 0.0, 0.0], "v3": [0.0, 0.0, 0.0], "v4": [0.0, 1.0, 0.0]}),
    ]
    S = "svd_superimpose"
    tri = [[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]
    cases += [
        (S, {"coordinates1": tri, "coordinates2": tri, "include_transformed": True}),
        (S, {"coordinates1": tri, "coordinates2": [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]}),
        (S, {"coordinates1": [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
             "coordinates2": [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]], "include_transformed": True}),
        (S, {"coordinates1": [[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [2.0, 0.0, 0.0]], "coordinates2": tri}),
        (S, {"coordinates1": [[1.0, 1.0, 1.0]] * 3, "coordinates2": tri}),
        (S, {"coordinates1": tri, "coordinates2": tri + [[1.0, 1.0, 1.0]]}),
    ]
    for tool in ("pairwise2_global_align", "pairwise2_local_align", "pairwise2_globalxx", "pairwise2_localxx"):
        for a, b in [("ACCGT", "ACG"), ("A", "A"), ("A", "C"), ("AAAA", "AA"), ("GAACT", "GAT"), ("ACGT", "TGCA"),
                     ("ATGCGATCG", "ATGCGATCG"), ("MKLLVLGLL", "MKVLGL"), ("acgt", "ACGT"), ("A-C", "AC")]:
            cases.append((tool, {"sequence_a": a, "sequence_b": b}))
            cases.append((tool, {"sequence_a": a, "sequence_b": b, "one_alignment_only": True, "gap_char": "."}))
            cases.append((tool, {"sequence_a": a, "sequence_b": b, "score_only": True, "penalize_end_gaps": True}))
    cases.append(("pairwise2_global_align", {"sequence_a": "ACGT", "sequence_b": "AGT", "gap_open": -0.1, "gap_extend": -0.5}))
    # Score-only fills long enough for the vectorised steady steps on WebAssembly: DNA
    # (match scores from per-letter profiles) and all 94 printable letters against 3,000
    # (more profile entries than the tool keeps: each cell compares letters instead).
    r = random.Random(19)
    printable = [chr(c) for c in range(33, 127)]
    for alphabet, la, lb in ((list("ACGT"), 300, 3000), (printable, 300, 3000)):
        a = "".join(printable if alphabet is printable else []) + "".join(r.choice(alphabet) for _ in range(la))
        b = "".join(r.choice(alphabet) for _ in range(lb))
        for tool in ("pairwise2_global_align", "pairwise2_local_align"):
            for ends in (True, False):
                cases.append((tool, {"sequence_a": a, "sequence_b": b, "match_score": 2, "mismatch_score": -1,
                                     "gap_open": -0.5, "gap_extend": -0.1, "score_only": True, "penalize_end_gaps": ends}))
    cases.append(("pairwise2_global_align", {"sequence_a": "A" * 5001, "sequence_b": "A"}))
    cases.append(("pairwise2_localxx", {"sequence_a": "AAAAAAAAAA", "sequence_b": "AAAAA"}))
    cases.append(("pairwise2_globalxx", {"sequence_a": "ACACACACACAC", "sequence_b": "CACACA"}))
    cases.append(("cluster_distancematrix", {"data": [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11], [1, 2, 3, 4]]}))
    for dist in DISTS:
        for method in METHODS:
            cases.append(("cluster_treecluster", {"data": [[1.0, 2.0], [1.0, 4.0], [4.0, 2.0], [4.0, 4.0]],
                                                  "dist": dist, "method": method}))
        cases.append(("cluster_distancematrix", {"data": [[1.0, 2.0, 2.0], [3.0, 3.0, 1.0], [0.0, 0.0, 0.0]],
                                                 "dist": dist, "transpose": True}))
    cases.append(("cluster_treecluster", {"data": [[1.0]]}))
    cases.append(("cluster_treecluster", {"data": [[1.0, 2.0, 3.0]], "transpose": True}))
    cases.append(("cluster_pca", {"data": [[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [7.0, 3.0, 0.0], [4.0, 2.0, 6.0]]}))
    cases.append(("cluster_pca", {"data": [[1.0, 2.0], [3.0, 5.0], [1.0, 1.0]]}))
    cases.append(("cluster_pca", {"data": [[1.0, 2.0, 3.0, 4.0]]}))
    return cases


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=int(os.environ.get("DIVE_BIO_SEED", "1")))
    ap.add_argument("--count", type=int, default=int(os.environ.get("DIVE_BIO_CASES", "100")),
                    help="randomized cases per tool")
    ap.add_argument("--tools", default="", help="comma-separated tool names (default: all)")
    opts = ap.parse_args()
    r = random.Random(opts.seed)
    only = set(filter(None, opts.tools.split(",")))
    out = sys.stdout
    sys.stderr.write(f"oracle_numeric: Biopython {Bio.__version__}, numpy {np.__version__}, "
                     f"seed {opts.seed}, {opts.count} cases per tool\n")

    def emit(tool, args, expected):
        if not only or tool in only:
            assert fifteen(args) == args
            out.write(json.dumps({"tool": tool, "args": args, "expected": expected}) + "\n")

    for tool, args in fixed_cases():
        emit(tool, args, expect(tool, args))
    for tool, gen in GENERATORS.items():
        for _ in range(opts.count):
            args, schema_invalid = gen(r)
            args = fifteen(args)
            if schema_invalid:
                emit(tool, args, {"error": "invalid_args", "rejected_by": "schema"})
            else:
                emit(tool, args, expect(tool, args))


if __name__ == "__main__":
    main()
