#!/usr/bin/env python3
"""Biopython oracle for the local tool families bio_sequtils, protparam, seqfeature,
motifs and restriction.

Generates randomized cases for every one of their 20 tools and writes one JSON line
per case to stdout, in the format of oracle.py:

    {"tool": NAME, "args": {...}, "expected": {"ok": RESULT}}
    {"tool": NAME, "args": {...}, "expected": {"error": "invalid_args"}}
    {"tool": NAME, "args": {...}, "expected": {"error": "invalid_args", "rejected_by": "schema"}}

Every RESULT is computed by Biopython 1.88 (Bio.SeqUtils, Bio.SeqUtils.ProtParam,
Bio.SeqFeature, Bio.motifs, Bio.Seq, Bio.Restriction); an input Biopython raises on is expected to be
rejected (invalid_args). As in oracle.py, two kinds of rejection are not Biopython's:
"rejected_by": "schema" (the case breaks the published input schema on purpose: the
catalog's patterns, e.g. protparam's 20 amino acids and restriction's A C G T, are
schema rules) and the tools' size caps, which keep every call inside the sandbox's
memory, time and output limits: input_rule() (each text argument takes at most
10 MB as JSON text, bio_core's MAX_SEQUENCE_LEN; an nt_search pattern is at most
1,000 characters) and over_output_limits() (results that would not fit the 16 MiB
output cap). Every character rule is Biopython's own: the SeqUtils functions and
motifs.create take any Python string (lengths and positions count code points), and
a Seq (reverse complements, six-frame translation, location extraction) holds any
ASCII text and raises on anything else.

Usage: oracle_more.py [--seed S] [--count N]   (N cases per tool; defaults from
DIVE_BIO_SEED and DIVE_BIO_CASES, else 1 and 100)
"""

import argparse
import json
import os
import random
import sys
import warnings

try:
    import Bio
    from Bio import Restriction, motifs
    from Bio.Restriction import Restriction_Dictionary
    from Bio import SeqUtils
    from Bio.Data import CodonTable, IUPACData
    from Bio.Seq import MutableSeq, Seq
    from Bio.SeqFeature import CompoundLocation, SimpleLocation
    from Bio.SeqUtils.ProtParam import ProteinAnalysis
except ImportError:  # pragma: no cover
    sys.stderr.write("Biopython is not installed: `make setup` installs it (pip install biopython==1.88)\n")
    sys.exit(3)


# --------------------------------------------------------------------------------------
# The tools' input size caps (see the module docstring).

MAX_TEXT = 10_000_000  # bio_core::MAX_SEQUENCE_LEN, bytes as JSON text
MAX_PATTERN = 1000  # nt_search


def json_len(s):
    """Bytes `s` takes inside a JSON string as the tools write it (serde_json: UTF-8,
    with '"', '\\' and the control characters escaped), as bio_core's json_len."""
    return len(json.dumps(s, ensure_ascii=False).encode()) - 2


def input_rule(tool, a):
    """True when the tools' input size caps reject these args."""
    if tool == "motifs_create":
        return sum(json_len(s) for s in a["sequences"]) > MAX_TEXT
    if tool == "bio_sequtils_nt_search" and len(a["subsequence"]) > MAX_PATTERN:
        return True
    return any(json_len(a.get(k, "")) > MAX_TEXT for k in ("sequence", "undef_code"))


# --------------------------------------------------------------------------------------
# Expected results, computed by Biopython.


def bio_gc_content(a):
    amb = a.get("ambiguous", "ignore")
    f = float(SeqUtils.gc_fraction(a["sequence"], ambiguous=amb))
    return {"gc_fraction": f, "gc_percent": 100 * f, "ambiguous": amb, "length": len(a["sequence"])}


def bio_gc123(a):
    total, first, second, third = SeqUtils.GC123(a["sequence"])
    return {"total": float(total), "first": float(first), "second": float(second), "third": float(third)}


def bio_gc_skew(a):
    window = a.get("window", 100)
    values = SeqUtils.GC_skew(a["sequence"], window=int(window))
    return {"skew": [float(v) for v in values], "window": int(window), "count": len(values)}


def bio_seq1(a):
    s = SeqUtils.seq1(a["sequence"], undef_code=a.get("undef_code", "X"))
    return {"sequence": s, "length": len(s)}


def bio_seq3(a):
    s = SeqUtils.seq3(a["sequence"], undef_code=a.get("undef_code", "Xaa"))
    return {"sequence": s, "length": len(s)}


def bio_six_frame(a):
    import Bio.SeqUtils as SU

    seq = a["sequence"]
    code = int(a.get("genetic_code", 1))
    text = SU.six_frame_translations(seq, genetic_code=code)
    # The six frames exactly as six_frame_translations builds them (it only prints
    # them): Bio.Seq.translate of each frame, the minus frames reversed.
    from Bio.Seq import reverse_complement, reverse_complement_rna, translate

    anti = reverse_complement_rna(seq) if "u" in seq.lower() else reverse_complement(seq)
    n = len(seq)
    fwd, rev = [], []
    for i in range(3):
        fl = 3 * ((n - i) // 3)
        fwd.append(translate(seq[i : i + fl], code))
        rev.append(translate(anti[i : i + fl], code)[::-1])
    return {"forward": fwd, "reverse": rev, "text": text, "genetic_code": code}


def bio_nt_search(a):
    res = SeqUtils.nt_search(a["sequence"], a["subsequence"])
    return {"pattern": res[0], "positions": res[1:], "count": len(res) - 1}


def bio_protparam_analysis(a):
    pa = ProteinAnalysis(a["sequence"])
    helix, turn, sheet = pa.secondary_structure_fraction()
    reduced, cystines = pa.molar_extinction_coefficient()
    return {
        "length": pa.length,
        "molecular_weight": float(pa.molecular_weight()),
        "isoelectric_point": float(pa.isoelectric_point()),
        "aromaticity": float(pa.aromaticity()),
        "instability_index": float(pa.instability_index()),
        "gravy": float(pa.gravy()),
        "amino_acid_counts": dict(pa.count_amino_acids()),
        "amino_acid_percent": {k: float(v) for k, v in pa.amino_acids_percent.items()},
        "secondary_structure_fraction": {"helix": float(helix), "turn": float(turn), "sheet": float(sheet)},
        "molar_extinction_coefficient": {"reduced": reduced, "cystines": cystines},
        # dive leaves the profile out (null) above 100,000 residues (its memory and output limits).
        "flexibility": [float(x) for x in pa.flexibility()] if pa.length <= 100_000 else None,
    }


def bio_protparam_mw(a):
    pa = ProteinAnalysis(a["sequence"])
    return {"molecular_weight": float(pa.molecular_weight()), "length": pa.length}


def bio_protparam_pi(a):
    pa = ProteinAnalysis(a["sequence"])
    return {"isoelectric_point": float(pa.isoelectric_point()), "length": pa.length}


def bio_protparam_arom(a):
    pa = ProteinAnalysis(a["sequence"])
    return {"aromaticity": float(pa.aromaticity()), "length": pa.length}


def strand_of(p):
    s = p.get("strand")
    return None if s is None else int(s)


def bio_location(a):
    loc = SimpleLocation(int(a["start"]), int(a["end"]), strand_of(a))
    out = {
        "location": str(loc),
        "start": int(loc.start),
        "end": int(loc.end),
        "strand": loc.strand,
        "length": len(loc),
    }
    if a.get("extract", True):
        out["extracted"] = str(loc.extract(Seq(a["sequence"])))
    return out


def bio_compound(a):
    parts = [SimpleLocation(int(p["start"]), int(p["end"]), strand_of(p)) for p in a["locations"]]
    # One location is a SimpleLocation (CompoundLocation needs two parts or more).
    loc = parts[0] if len(parts) == 1 else CompoundLocation(parts)
    out = {
        "location": str(loc),
        "operator": None if len(parts) == 1 else loc.operator,
        "start": int(loc.start),
        "end": int(loc.end),
        "strand": loc.strand,
        "length": len(loc),
        "parts": [{"location": str(p), "start": int(p.start), "end": int(p.end), "strand": p.strand} for p in parts],
    }
    if a.get("extract", True):
        out["extracted"] = str(loc.extract(Seq(a["sequence"])))
    return out


def bio_motifs_create(a):
    alphabet = a.get("alphabet", "ACGT")
    m = motifs.create(a["sequences"], alphabet=alphabet)
    pwm = m.pwm
    return {
        "alphabet": alphabet,
        "length": len(m),
        "num_sequences": len(m.alignment.sequences),
        "counts": {k: [int(x) for x in m.counts[k]] for k in alphabet},
        "pwm": {k: [float(x) for x in pwm[k]] for k in alphabet},
        "consensus": str(m.consensus),
        "anticonsensus": str(m.anticonsensus),
        "degenerate_consensus": str(m.degenerate_consensus),
    }


def bio_rc(a):
    if a.get("inplace", False):
        s = MutableSeq(a["sequence"])
        s.reverse_complement(inplace=True)
    else:
        s = Seq(a["sequence"]).reverse_complement()
    return {"reverse_complement": str(s), "inplace": a.get("inplace", False), "length": len(s)}


def bio_rc_rna(a):
    if a.get("inplace", False):
        s = MutableSeq(a["sequence"])
        s.reverse_complement_rna(inplace=True)
    else:
        s = Seq(a["sequence"]).reverse_complement_rna()
    return {"reverse_complement": str(s), "inplace": a.get("inplace", False), "length": len(s)}


def enzyme(name):
    """The enzyme class of that exact name; unknown names raise."""
    if name not in Restriction_Dictionary.rest_dict:
        raise ValueError(f"unknown enzyme {name!r}")
    return getattr(Restriction, name)


def bio_restriction_search(a):
    e = enzyme(a["enzyme_name"])
    positions = e.search(Seq(a["sequence"]))
    return {"enzyme": str(e), "site": e.site, "positions": list(positions), "count": len(positions),
            "sequence_length": len(a["sequence"])}


def bio_restriction_catalyse(a):
    e = enzyme(a["enzyme_name"])
    fragments = [str(f) for f in e.catalyse(Seq(a["sequence"]))]
    return {"enzyme": str(e), "fragments": fragments, "lengths": [len(f) for f in fragments], "count": len(fragments)}


def bio_restriction_info(a):
    e = enzyme(a["enzyme_name"])
    fst5, fst3, scd5, scd3, site = e.characteristic()
    return {
        "name": str(e),
        "site": site,
        "size": e.size,
        "fst5": fst5,
        "fst3": fst3,
        "scd5": scd5,
        "scd3": scd3,
        "ovhg": e.ovhg,
        "ovhgseq": e.ovhgseq,
        "overhang": e.overhang(),
        "is_palindromic": e.is_palindromic(),
        "cut_once": e.cut_once(),
        "cut_twice": e.cut_twice(),
        "is_defined": e.is_defined(),
        "is_ambiguous": e.is_ambiguous(),
        "is_unknown": e.is_unknown(),
        "is_methylable": e.is_methylable(),
        "is_commercially_available": e.is_comm(),
        "suppliers": e.supplier_list(),
        "supplier_codes": list(e.suppl),
        "frequency": float(e.frequency()),
        "rebase_id": e.id,
        "compatible_ends": [str(x) for x in e.compatible_end()],
    }


def bio_restriction_all(a):
    names = sorted(str(e) for e in Restriction.AllEnzymes)
    pattern = a.get("search_pattern") or ""
    matching = [n for n in names if pattern.lower() in n.lower()]
    chosen = matching[: int(a.get("limit", 100))]
    return {"enzymes": chosen, "count": len(chosen), "total_matching": len(matching), "total": len(names)}


BIOPYTHON = {
    "bio_sequtils_gc_content": bio_gc_content,
    "bio_sequtils_gc123": bio_gc123,
    "bio_sequtils_gc_skew": bio_gc_skew,
    "bio_sequtils_seq1": bio_seq1,
    "bio_sequtils_seq3": bio_seq3,
    "bio_sequtils_six_frame": bio_six_frame,
    "bio_sequtils_nt_search": bio_nt_search,
    "protparam_analysis": bio_protparam_analysis,
    "protparam_molecular_weight": bio_protparam_mw,
    "protparam_isoelectric_point": bio_protparam_pi,
    "protparam_aromaticity": bio_protparam_arom,
    "seqfeature_location": bio_location,
    "seqfeature_compound": bio_compound,
    "motifs_create": bio_motifs_create,
    "motifs_reverse_complement": bio_rc,
    "motifs_reverse_complement_rna": bio_rc_rna,
    "restriction_search": bio_restriction_search,
    "restriction_catalyse": bio_restriction_catalyse,
    "restriction_enzyme_info": bio_restriction_info,
    "restriction_all_enzymes": bio_restriction_all,
}


def over_output_limits(tool, a, res):
    """The tools' documented caps that keep every result inside the 16 MiB output
    limit (checked on Biopython's own result)."""
    if tool == "bio_sequtils_gc_skew":
        return res["count"] > 500_000
    if tool == "bio_sequtils_nt_search":
        return res["count"] > 1_000_000
    if tool in ("bio_sequtils_seq1", "bio_sequtils_seq3"):
        return json_len(res["sequence"]) > 12_000_000
    if tool == "bio_sequtils_six_frame":
        return len(a["sequence"]) > 1_000_000
    if tool == "seqfeature_compound":
        return json_len(res.get("extracted", "")) > 12_000_000
    if tool == "motifs_create":
        return res["length"] > 20_000
    if tool == "restriction_search":
        return res["count"] > 1_000_000
    if tool == "restriction_catalyse":
        return res["count"] > 500_000
    return False


def expect(tool, args):
    if input_rule(tool, args):
        return {"error": "invalid_args"}
    try:
        res = BIOPYTHON[tool](args)
    except Exception:  # Biopython raised: the tool must reject the input
        return {"error": "invalid_args"}
    if over_output_limits(tool, args, res):
        return {"error": "invalid_args"}
    return {"ok": res}


# --------------------------------------------------------------------------------------
# Case generators. Each returns (args, schema_invalid).

AMBIGUOUS = "RYSWKMBDHVNX"
# Characters outside the IUPAC codes: ASCII ones (any text for the SeqUtils functions,
# kept by a Seq), and non-ASCII ones (fine in a Python string, raised on by a Seq;
# 'ſ' and 'ı' upper-case to 'S' and 'I', as seq1 reads them).
JUNK = "0123456789!?#$%&'()+,/:;<=>@[]^_`{|}~ XJZOBEFIL\"\\\t\n\r\x00\x01\x1f\x7f"
NON_ASCII = ["é", "ſ", "ı", "ß", "€", "𝄞"]
BAD_CHARS = ["?", "Z", " ", "\n", "1", "é", "J", "O", "_", "[", "*"]
ALL_TABLE_IDS = sorted(CodonTable.unambiguous_dna_by_id)
CODE_IDS = [i for i in ALL_TABLE_IDS if i <= 31]
UNASSIGNED_IDS = [i for i in range(1, 32) if i not in ALL_TABLE_IDS]
AA20 = IUPACData.protein_letters
THREE = list(IUPACData.protein_letters_3to1_extended) + ["Ter"]


def maybe(r, p):
    return r.random() < p


def rand_len(r, lo=1):
    return r.choice([lo, lo, lo + 1, lo + 2, r.randint(lo, 12), r.randint(lo, 60), r.randint(lo, 400), r.randint(lo, 3000)])


def rand_nucleotides(r, n, style=None):
    style = style or r.choice(["dna", "dna", "rna", "mixed", "ambiguous", "lower", "gapped", "gc", "junk", "junk"])
    if style == "dna":
        return "".join(r.choice("ACGT") for _ in range(n))
    if style == "gc":
        return "".join(r.choice("GCgcS" if maybe(r, 0.8) else "ATN") for _ in range(n))
    if style == "rna":
        return "".join(r.choice("ACGU") for _ in range(n))
    if style == "mixed":
        return "".join(r.choice("ACGTU") for _ in range(n))
    if style == "ambiguous":
        rate = r.choice([0.05, 0.2, 0.6, 1.0])
        return "".join(r.choice(AMBIGUOUS + AMBIGUOUS.lower()) if maybe(r, rate) else r.choice("ACGTUW") for _ in range(n))
    if style == "lower":
        return "".join(r.choice("ACGTUacgtunrykmswbdhvx") for _ in range(n))
    if style == "junk":
        # Nucleotides mixed with other characters (now and then a non-ASCII one).
        rate = r.choice([0.02, 0.1, 0.5, 1.0])
        other = JUNK + ("".join(NON_ASCII) if maybe(r, 0.2) else "")
        return "".join(r.choice(other) if maybe(r, rate) else r.choice("ACGTUacgtuNS") for _ in range(n))
    return "".join(r.choice("-.") if maybe(r, 0.15) else r.choice("ACGTacgt") for _ in range(n))


def sprinkle_bad(r, s):
    """Insert one character outside the IUPAC codes, now and then a non-ASCII one."""
    i = r.randrange(len(s) + 1)
    c = r.choice(NON_ASCII) if maybe(r, 0.2) else r.choice(BAD_CHARS + list(JUNK))
    return s[:i] + c + s[i:]


def nucleotide_arg(r, lo):
    s = rand_nucleotides(r, rand_len(r, lo))
    if maybe(r, 0.1):
        s = sprinkle_bad(r, s)
    return s


def gen_gc_content(r):
    a = {"sequence": nucleotide_arg(r, 1)}
    if maybe(r, 0.8):
        a["ambiguous"] = r.choice(["ignore", "weighted", "remove"])
    if maybe(r, 0.04):
        return (r.choice([{"sequence": ""}, {"sequence": "ACGT", "ambiguous": "count"}, {"ambiguous": "ignore"},
                          {"sequence": "ACGT", "window": 3}]), True)
    return a, False


def gen_gc123(r):
    if maybe(r, 0.04):
        return (r.choice([{"sequence": "AC"}, {}, {"sequence": "ACGT", "frame": 1}]), True)
    s = nucleotide_arg(r, 3)
    if maybe(r, 0.05):
        s = "".join(r.choice("NnRy-.U") for _ in range(rand_len(r, 3)))
    return {"sequence": s}, False


def gen_gc_skew(r):
    if maybe(r, 0.04):
        return (r.choice([{"sequence": "ACGTACGTA"}, {"sequence": "ACGTACGTACGT", "window": 0},
                          {"sequence": "ACGTACGTACGT", "window": -5}, {"sequence": "ACGTACGTACGT", "window": 2.5}]), True)
    a = {"sequence": nucleotide_arg(r, 10)}
    if maybe(r, 0.85):
        a["window"] = r.choice([1, 2, 3, 7, 10, 100, r.randint(1, 50), r.randint(1, 5000), 10**12])
        if maybe(r, 0.05):
            a["window"] = float(a["window"])
    return a, False


def gen_seq1(r):
    if maybe(r, 0.04):
        return (r.choice([{"sequence": "Al"}, {"sequence": "AlaGly", "undef_code": "XX"}, {}]), True)
    groups = []
    for _ in range(rand_len(r, 1)):
        g = r.choice(THREE)
        style = r.random()
        if style < 0.2:
            g = g.upper()
        elif style < 0.35:
            g = g.lower()
        elif style < 0.45:
            g = "".join(r.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcxyz-*") for _ in range(3))
        elif style < 0.55:
            g = "".join(r.choice(JUNK) for _ in range(3))
        elif style < 0.6:
            g = r.choice(["ſer", "ıle", "Aßp", "ılE", "é€𝄞", "Glſ"])
        groups.append(g)
    s = r.choice(["", "-", " "]).join(groups) if maybe(r, 0.3) else "".join(groups)
    s += r.choice(["", "", "", "A", "Al"])
    if len(s) < 3:
        s = "AlaGly"
    a = {"sequence": s}
    if maybe(r, 0.5):
        a["undef_code"] = r.choice(["X", "?", "-", "", "*", "é", "\t", "\x01", '"', "𝄞"])
    if maybe(r, 0.03):
        a["sequence"] = sprinkle_bad(r, s)
    return a, False


def gen_seq3(r):
    if maybe(r, 0.04):
        return (r.choice([{"sequence": ""}, {}, {"sequence": "AG", "custom_map": {}}]), True)
    alphabet = r.choice([AA20, AA20 + "BXZJUO*", AA20 + "acgt-.* ", IUPACData.extended_protein_letters,
                         AA20 + JUNK, AA20 + "".join(NON_ASCII)])
    s = "".join(r.choice(alphabet) for _ in range(rand_len(r, 1)))
    a = {"sequence": s}
    if maybe(r, 0.5):
        a["undef_code"] = r.choice(["Xaa", "---", "", "?", "Unk", "UNKNOWN___", "TooLongCode!", "é", "\t",
                                    "an unknown residue", "\x01\"\\", "Ünk𝄞"])
    if maybe(r, 0.03):
        a["sequence"] = sprinkle_bad(r, s)
    return a, False


def gen_six_frame(r):
    if maybe(r, 0.04):
        return (r.choice([{"sequence": "AC"}, {"sequence": "ACGT", "genetic_code": 0},
                          {"sequence": "ACGT", "genetic_code": 32}, {"sequence": "ACGT", "table": 1}]), True)
    style = r.choice(["dna", "dna", "dna", "rna", "mixed", "ambiguous", "lower", "gapped"])
    s = rand_nucleotides(r, rand_len(r, 3), style)
    a = {"sequence": s}
    if maybe(r, 0.8):
        a["genetic_code"] = r.choice(CODE_IDS + UNASSIGNED_IDS[:2])
    if maybe(r, 0.03):
        a["sequence"] = sprinkle_bad(r, s)
    return a, False


def gen_nt_search(r):
    if maybe(r, 0.04):
        return (r.choice([{"sequence": "ACGT"}, {"sequence": "", "subsequence": "A"},
                          {"sequence": "ACGT", "subsequence": ""}]), True)
    s = rand_nucleotides(r, rand_len(r, 1), r.choice(["dna", "dna", "ambiguous", "lower", "gapped", "junk"]))
    for _ in range(r.choice([0, 0, 1, 3])):
        s = sprinkle_bad(r, s)
    k = r.choice([1, 1, 2, 3, 4, 6, r.randint(1, 20), 63, 64, 65, 70, 130])
    if maybe(r, 0.5) and len(s) >= 1:
        i = r.randrange(len(s))
        sub = s[i : i + k].upper().replace("U", "T").replace("-", "N").replace(".", "N")
        sub = "".join(c if maybe(r, 0.8) else r.choice("ACGTMRWSYKVHDBXN") for c in sub) or "A"
    else:
        sub = "".join(r.choice("ACGT" * 3 + "MRWSYKVHDBXN") for _ in range(k))
    if maybe(r, 0.05):
        sub = sprinkle_bad(r, sub) if maybe(r, 0.5) else sub.lower()
    if maybe(r, 0.01):
        sub = "N" * 1001
    return {"sequence": s, "subsequence": sub}, False


def gen_protein(r):
    if maybe(r, 0.05):
        return (r.choice([{"sequence": ""}, {"sequence": "mkt"}, {"sequence": "MKTX"}, {"sequence": "MK*"},
                          {}, {"sequence": "MKT", "monoisotopic": True}]), True)
    bias = r.choice([AA20, AA20, "DE", "KRH", "DEKRHCY", "WYF", "C", "P"])
    n = rand_len(r, 1)
    s = "".join(r.choice(bias) if maybe(r, 0.5) else r.choice(AA20) for _ in range(n))
    return {"sequence": s}, False


def rand_coords(r, n):
    start = r.choice([0, 0, r.randint(0, max(n, 1)), n, n + r.randint(0, 5), r.randint(0, 2 * n + 3)])
    end = r.choice([start, start + 1, r.randint(start, max(start, n + 3)), n, n + 10, start + r.randint(0, 30)])
    if maybe(r, 0.07):
        start, end = end + r.randint(1, 5), end  # start > end: Biopython raises
    end = max(end, 1)
    return start, end


def rand_feature_seq(r):
    style = r.random()
    n = rand_len(r, 1)
    if style < 0.5:
        s = rand_nucleotides(r, n)
    elif style < 0.75:
        s = "".join(r.choice(AA20 + "*") for _ in range(n))
    else:
        s = "".join(r.choice("ACGTUacgtuNRYEFQ*-." + JUNK) for _ in range(n))
    if maybe(r, 0.08):
        s = sprinkle_bad(r, s)
    return s


def gen_location(r):
    if maybe(r, 0.05):
        return (r.choice([{"sequence": "ACGT", "start": -1, "end": 2}, {"sequence": "ACGT", "start": 0, "end": 0},
                          {"sequence": "ACGT", "start": 0, "end": 2, "strand": 0},
                          {"sequence": "ACGT", "start": 0, "end": 2, "strand": 2},
                          {"sequence": "ACGT", "start": 0}, {"sequence": "", "start": 0, "end": 1},
                          {"sequence": "ACGT", "start": 0, "end": 2, "extract": "yes"}]), True)
    s = rand_feature_seq(r)
    start, end = rand_coords(r, len(s))
    a = {"sequence": s, "start": start, "end": end}
    if maybe(r, 0.7):
        a["strand"] = r.choice([1, -1])
    if maybe(r, 0.4):
        a["extract"] = r.choice([True, False])
    if maybe(r, 0.03):
        a["start"] = float(a["start"])
    return a, False


def gen_compound(r):
    if maybe(r, 0.05):
        return (r.choice([{"sequence": "ACGT", "locations": []}, {"sequence": "ACGT"},
                          {"sequence": "ACGT", "locations": [{"start": 0}]},
                          {"sequence": "ACGT", "locations": [{"start": 0, "end": 2, "strand": 0}]},
                          {"sequence": "ACGT", "locations": [{"start": -2, "end": 2}]}]), True)
    s = rand_feature_seq(r)
    k = r.choice([1, 2, 2, 3, 4, r.randint(1, 12)])
    common = r.choice([None, 1, -1, "mixed"])
    locs = []
    for _ in range(k):
        start, end = rand_coords(r, len(s))
        p = {"start": start, "end": end}
        strand = r.choice([None, 1, -1]) if common == "mixed" else common
        if strand is not None:
            p["strand"] = strand
        locs.append(p)
    a = {"sequence": s, "locations": locs}
    if maybe(r, 0.4):
        a["extract"] = r.choice([True, False])
    return a, False


def gen_motifs_create(r):
    if maybe(r, 0.05):
        return (r.choice([{"sequences": ["ACGT"]}, {"sequences": ["ACGT", ""]}, {"sequences": []},
                          {"sequences": ["ACGT", "ACGT"], "alphabet": "DNA"}, {"alphabet": "ACGT"}]), True)
    alphabet = r.choice(["ACGT", "ACGU", "ACDEFGHIKLMNPQRSTVWY", None])
    letters = alphabet or "ACGT"
    n = r.choice([1, 2, 3, 5, r.randint(1, 30)])
    k = r.choice([2, 2, 3, 4, 5, r.randint(2, 40)])
    base = "".join(r.choice(letters) for _ in range(n))
    noise = r.choice([0.0, 0.1, 0.3, 0.7, 1.0])
    extra = r.choice(["", "N", "acgt", "-", "T", "U", "X", "1 ?\t", "é𝄞"])
    seqs = []
    for _ in range(k):
        s = "".join(c if not maybe(r, noise) else r.choice(letters + extra) for c in base)
        seqs.append(s)
    if maybe(r, 0.05):
        i = r.randrange(k)
        seqs[i] = seqs[i] + r.choice("ACGT")  # unequal lengths: Biopython raises
    if maybe(r, 0.06):
        j = r.randrange(len(seqs[0]))  # replace a character: the lengths stay equal
        seqs[0] = seqs[0][:j] + sprinkle_bad(r, "") + seqs[0][j + 1 :]
    a = {"sequences": seqs}
    if alphabet is not None:
        a["alphabet"] = alphabet
    return a, False


def gen_rc(r):
    if maybe(r, 0.04):
        return (r.choice([{"sequence": ""}, {}, {"sequence": "ACGT", "inplace": "no"}]), True)
    a = {"sequence": nucleotide_arg(r, 1)}
    if maybe(r, 0.6):
        a["inplace"] = r.choice([True, False])
    return a, False


ENZYME_NAMES = sorted(Restriction_Dictionary.rest_dict)
COMMON = ["EcoRI", "BamHI", "HindIII", "NotI", "XhoI", "BsaI", "BaeI", "AarI", "HpyUM037X", "SmaI", "AanI",
          "BsmBI", "FokI", "AloI", "BcgI", "CspCI", "MboI", "Sau3AI", "NlaIII", "HinfI", "BglI", "SfiI"]
COMMON = [n for n in COMMON if n in Restriction_Dictionary.rest_dict]


def site_instance(r, site):
    site = r.choice(site.split("|"))
    return "".join(r.choice(IUPACData.ambiguous_dna_values[c]) for c in site)


def rand_enzyme_name(r):
    x = r.random()
    if x < 0.3:
        return r.choice(COMMON)
    if x < 0.94:
        return r.choice(ENZYME_NAMES)
    return r.choice(["ecori", "ECORI", "EcoRI ", "Foo", "search", "AllEnzymes", "Eco", "BamHI\n", "é"])


def rand_digest_args(r):
    name = rand_enzyme_name(r)
    site = Restriction_Dictionary.rest_dict.get(name, {"site": "GAATTC"})["site"]
    n = rand_len(r, 1)
    parts = ["".join(r.choice("ACGT") for _ in range(n))]
    for _ in range(r.choice([0, 1, 1, 2, 3, 8])):
        inst = site_instance(r, site)
        if maybe(r, 0.4):
            inst = str(Seq(inst).reverse_complement())
        where = r.choice(["start", "end", "middle", "middle"])
        pad = "".join(r.choice("ACGT") for _ in range(r.choice([0, 0, 1, 2, 3, 5, 10, 30])))
        if where == "start":
            parts.insert(0, inst + pad)
        elif where == "end":
            parts.append(pad + inst)
        else:
            parts.insert(r.randrange(len(parts) + 1), pad + inst + pad)
    seq = "".join(parts)
    return {"sequence": seq, "enzyme_name": name}


def gen_restriction_digest(r):
    if maybe(r, 0.05):
        return (r.choice([{"sequence": "GAATTC"}, {"sequence": "", "enzyme_name": "EcoRI"},
                          {"sequence": "gaattc", "enzyme_name": "EcoRI"}, {"sequence": "GAANTC", "enzyme_name": "EcoRI"},
                          {"sequence": "GAATTC", "enzyme_name": ""}, {"sequence": "GAATTC", "enzyme_name": "EcoRI", "linear": False}]), True)
    return rand_digest_args(r), False


def gen_restriction_info(r):
    if maybe(r, 0.04):
        return (r.choice([{}, {"enzyme_name": ""}, {"enzyme_name": "EcoRI", "supplier": "N"}]), True)
    return {"enzyme_name": rand_enzyme_name(r)}, False


def gen_restriction_all(r):
    if maybe(r, 0.05):
        return (r.choice([{"limit": 0}, {"limit": 1089}, {"limit": "10"}, {"limit": 2.5}, {"search_pattern": 3},
                          {"filter": "Eco"}]), True)
    a = {}
    if maybe(r, 0.7):
        a["limit"] = r.choice([1, 2, 10, 100, 1087, 1088, r.randint(1, 1088)])
        if maybe(r, 0.05):
            a["limit"] = float(a["limit"])
    if maybe(r, 0.8):
        name = r.choice(ENZYME_NAMES)
        i = r.randrange(len(name))
        p = name[i : i + r.randint(0, 5)]
        p = r.choice([p, p.lower(), p.upper(), p.swapcase(), "", "zz", "I", "é", "K"])
        a["search_pattern"] = p
    return a, False


GENERATORS = {
    "bio_sequtils_gc_content": gen_gc_content,
    "bio_sequtils_gc123": gen_gc123,
    "bio_sequtils_gc_skew": gen_gc_skew,
    "bio_sequtils_seq1": gen_seq1,
    "bio_sequtils_seq3": gen_seq3,
    "bio_sequtils_six_frame": gen_six_frame,
    "bio_sequtils_nt_search": gen_nt_search,
    "protparam_analysis": gen_protein,
    "protparam_molecular_weight": gen_protein,
    "protparam_isoelectric_point": gen_protein,
    "protparam_aromaticity": gen_protein,
    "seqfeature_location": gen_location,
    "seqfeature_compound": gen_compound,
    "motifs_create": gen_motifs_create,
    "motifs_reverse_complement": gen_rc,
    "motifs_reverse_complement_rna": gen_rc,
    "restriction_search": gen_restriction_digest,
    "restriction_catalyse": gen_restriction_digest,
    "restriction_enzyme_info": gen_restriction_info,
    "restriction_all_enzymes": gen_restriction_all,
}


def fixed_cases():
    """Hand-picked edge cases, including Biopython's documented examples."""
    c = []
    for amb in ["ignore", "weighted", "remove"]:
        for s in ["ACTG", "GGAUCUUCGGAUCU", "ACTGSSSS", "ACTGN", "GDVV", "NNNN", "acgtnbdhv", "----", "W"]:
            c.append(("bio_sequtils_gc_content", {"sequence": s, "ambiguous": amb}))
    for s in ["ATGAAACGCTAG", "ACGTA", "NNN", "nnnA", "GGGGG", "AT-", "acgtacgtac"]:
        c.append(("bio_sequtils_gc123", {"sequence": s}))
    c.append(("bio_sequtils_gc_skew", {"sequence": "GGGGGCCCCCAAAAA", "window": 5}))
    c.append(("bio_sequtils_gc_skew", {"sequence": "AAAAAAAAAAAA"}))
    c.append(("bio_sequtils_seq1", {"sequence": "MetAlaIleValMetGlyArgTrpLysGlyAlaArgTer"}))
    c.append(("bio_sequtils_seq1", {"sequence": "METALAILEVALMETGLYARGTRPLYSGLYALAARGTER", "undef_code": ""}))
    c.append(("bio_sequtils_seq3", {"sequence": "MAIVMGRWKGAR*"}))
    c.append(("bio_sequtils_seq3", {"sequence": "MAIVMGRWKGA--R*", "undef_code": "---"}))
    for s in ["AUGGCCAUUGUAAUGGGCCGCUGA", "ATGGCCATTGTAATGGGCCGCTGA", "ATG", "ATGC",
              "ATGCGATCGATCGATCGATCGATCGATCGATCGATCGATCGATCGATCGATCGATCGATCGATCGATCGAAAAAA" * 3]:
        c.append(("bio_sequtils_six_frame", {"sequence": s}))
    c.append(("bio_sequtils_six_frame", {"sequence": "ATGTGA", "genetic_code": 7}))
    c.append(("bio_sequtils_nt_search", {"sequence": "ATGCGATCGATCGATG", "subsequence": "GATC"}))
    c.append(("bio_sequtils_nt_search", {"sequence": "AAAAA", "subsequence": "AA"}))
    c.append(("bio_sequtils_nt_search", {"sequence": "AGAATTCGAATTCG", "subsequence": "GRAWTYC"}))
    c.append(("bio_sequtils_nt_search", {"sequence": "ACGT", "subsequence": "ACGTA"}))
    c.append(("bio_sequtils_nt_search", {"sequence": "ACGU", "subsequence": "U"}))
    for s in ["INGAR", "PETER", "A", "W", "C", "CC", "MKTAYIAKQRQISFVKSHFSRQ", "D" * 50, "R" * 50, "E", "K"]:
        for t in ["protparam_analysis", "protparam_molecular_weight", "protparam_isoelectric_point", "protparam_aromaticity"]:
            c.append((t, {"sequence": s}))
    c.append(("seqfeature_location", {"sequence": "ATCGATCGATCGATCG", "start": 2, "end": 8}))
    c.append(("seqfeature_location", {"sequence": "ATCGATCGATCGATCG", "start": 2, "end": 8, "strand": -1}))
    c.append(("seqfeature_location", {"sequence": "ATCG", "start": 3, "end": 3, "strand": 1}))
    c.append(("seqfeature_location", {"sequence": "ATCG", "start": 5, "end": 2}))
    c.append(("seqfeature_location", {"sequence": "ATCG", "start": 2, "end": 100, "strand": -1, "extract": False}))
    c.append(("seqfeature_compound", {"sequence": "ATCGATCGATCGATCG", "locations": [{"start": 2, "end": 6}, {"start": 10, "end": 14}]}))
    c.append(("seqfeature_compound", {"sequence": "ATCGATCGATCGATCG", "locations": [{"start": 10, "end": 14, "strand": -1}, {"start": 2, "end": 6, "strand": -1}]}))
    c.append(("seqfeature_compound", {"sequence": "ATCGATCGATCGATCG", "locations": [{"start": 2, "end": 6, "strand": 1}, {"start": 4, "end": 9, "strand": -1}]}))
    c.append(("seqfeature_compound", {"sequence": "ATCG", "locations": [{"start": 1, "end": 3, "strand": -1}]}))
    c.append(("seqfeature_compound", {"sequence": "ATCG", "locations": [{"start": 1, "end": 3}, {"start": 3, "end": 1}]}))
    for alphabet in ["ACGT", "ACGU", "ACDEFGHIKLMNPQRSTVWY"]:
        c.append(("motifs_create", {"sequences": ["ACGT", "ACGT", "ACTT"], "alphabet": alphabet}))
        c.append(("motifs_create", {"sequences": ["AACGCCA", "ACCGCCC", "AACTCCG"], "alphabet": alphabet}))
        c.append(("motifs_create", {"sequences": ["ACDE", "ACDF"], "alphabet": alphabet}))
    c.append(("motifs_create", {"sequences": ["ACGT", "ACGN"]}))
    c.append(("motifs_create", {"sequences": ["NCGT", "NCGT"]}))
    c.append(("motifs_create", {"sequences": ["ACG", "ACGT"]}))
    c.append(("motifs_create", {"sequences": ["acgt", "ACGT"]}))
    for t in ["motifs_reverse_complement", "motifs_reverse_complement_rna"]:
        for ip in [False, True]:
            c.append((t, {"sequence": "ACGTUacgtuRYSWKMBDHVNXrywskmbdhvnx-.", "inplace": ip}))
    for name in ENZYME_NAMES:  # every enzyme once
        c.append(("restriction_enzyme_info", {"enzyme_name": name}))
    for name in ["EcoRI", "BsaI", "BaeI", "HpyUM037X", "AanI", "NotI"]:
        site = Restriction_Dictionary.rest_dict[name]["site"].split("|")[0].replace("N", "A")
        for seq in [site, site + site, "A" + site, site + "A", "ACGT" * 5 + site + "ACGT" * 5, "ACGT"]:
            for t in ["restriction_search", "restriction_catalyse"]:
                c.append((t, {"sequence": seq.replace("R", "A").replace("Y", "C"), "enzyme_name": name}))
    c.append(("restriction_all_enzymes", {"limit": 1088}))
    c.append(("restriction_all_enzymes", {}))
    c.append(("restriction_all_enzymes", {"search_pattern": "eco"}))
    # Characters outside the IUPAC codes: any text for the SeqUtils functions and
    # motifs.create (lengths and positions in code points), any ASCII for a Seq.
    for amb in ["ignore", "weighted", "remove"]:
        for s in ["ACGZ", "GC?é", '""GC', "\x00\x01", "ſ€𝄞gc"]:
            c.append(("bio_sequtils_gc_content", {"sequence": s, "ambiguous": amb}))
    for s in ["AT1GC?", "é€𝄞GCA", "?? ", "G\tC\nA"]:
        c.append(("bio_sequtils_gc123", {"sequence": s}))
    c.append(("bio_sequtils_gc_skew", {"sequence": "GGGé€CCCCC1G", "window": 2}))
    c.append(("bio_sequtils_seq1", {"sequence": "ſerıleAßpTER", "undef_code": "é"}))
    c.append(("bio_sequtils_seq1", {"sequence": "Ala123Gly\t\n\x00", "undef_code": "\x01"}))
    c.append(("bio_sequtils_seq3", {"sequence": "MKé?1 *", "undef_code": "an unknown residue"}))
    for s in ["ATGC1A", "ATGé", "ATG?", "ATGNNN"]:
        c.append(("bio_sequtils_six_frame", {"sequence": s}))
    c.append(("bio_sequtils_nt_search", {"sequence": "éACGTé𝄞ACGT", "subsequence": "ACGT"}))
    c.append(("bio_sequtils_nt_search", {"sequence": "A?C GT", "subsequence": "N"}))
    c.append(("motifs_create", {"sequences": ["AéCG", "A€CG", "T𝄞CG"]}))
    c.append(("motifs_create", {"sequences": ["A1CG", "A CG", "AACG"]}))
    for t in ["motifs_reverse_complement", "motifs_reverse_complement_rna"]:
        c.append((t, {"sequence": "".join(chr(i) for i in range(128))}))
        c.append((t, {"sequence": "ACGé"}))
    for extract in [True, False]:
        c.append(("seqfeature_location", {"sequence": "AC GT?1", "start": 1, "end": 6, "strand": -1, "extract": extract}))
        c.append(("seqfeature_location", {"sequence": "ACéGT", "start": 1, "end": 4, "extract": extract}))
        c.append(("seqfeature_compound", {"sequence": "ACéGT", "locations": [{"start": 0, "end": 2}, {"start": 3, "end": 5}],
                                          "extract": extract}))
    return c


def large_cases(r):
    """One megabase each: the limits a real input needs."""
    dna = "".join(r.choice("ACGT") for _ in range(1_000_000))
    protein = "".join(r.choice(AA20) for _ in range(1_000_000))
    return [
        ("bio_sequtils_gc_skew", {"sequence": dna, "window": 2}),
        ("bio_sequtils_gc_skew", {"sequence": dna, "window": 1}),
        ("bio_sequtils_six_frame", {"sequence": dna, "genetic_code": 11}),
        ("bio_sequtils_six_frame", {"sequence": dna + "A", "genetic_code": 11}),
        ("bio_sequtils_nt_search", {"sequence": "A" * 1_000_001, "subsequence": "A"}),
        ("bio_sequtils_seq3", {"sequence": protein[:400_000], "undef_code": "UNKNOWN___"}),
        ("seqfeature_compound", {"sequence": dna, "locations": [{"start": 0, "end": 1_000_000}] * 13}),
        ("motifs_create", {"sequences": [dna[:20_001], dna[1:20_002]]}),
        ("bio_sequtils_nt_search", {"sequence": "A" * 1_000_000, "subsequence": "N" * 100}),
        ("protparam_analysis", {"sequence": protein}),
        ("seqfeature_compound", {"sequence": dna, "locations": [{"start": 0, "end": 1_000_000, "strand": -1}] * 3}),
        ("motifs_create", {"sequences": [dna[i : i + 10_000] for i in range(0, 1_000_000, 10_000)]}),
        ("motifs_create", {"sequences": [protein[:20_000], protein[5:20_005]], "alphabet": AA20}),
        ("restriction_search", {"sequence": dna, "enzyme_name": "MboI"}),
        ("restriction_catalyse", {"sequence": dna, "enzyme_name": "NlaIII"}),
        ("restriction_search", {"sequence": dna, "enzyme_name": "BaeI"}),
        ("restriction_search", {"sequence": "GATC" * 250_001, "enzyme_name": "MboI"}),
        ("restriction_catalyse", {"sequence": "GATCA" * 200_000, "enzyme_name": "MboI"}),
        ("restriction_catalyse", {"sequence": "GATCA" * 100_002, "enzyme_name": "MboI"}),
        # The caps count bytes as JSON text: '\x01' takes six, '"' two.
        ("bio_sequtils_gc_content", {"sequence": '"' * 5_000_001}),
        ("bio_sequtils_seq3", {"sequence": "?" * 2_000_000, "undef_code": "\x01"}),
        ("bio_sequtils_seq3", {"sequence": "?" * 2_000_001, "undef_code": "\x01"}),
        ("bio_sequtils_seq1", {"sequence": "???" * 2_000_001, "undef_code": "\x01"}),
        ("seqfeature_compound", {"sequence": "\x01" * 1_000_000, "locations": [{"start": 0, "end": 1_000_000}] * 2}),
        ("seqfeature_compound", {"sequence": "\x01" * 1_000_000, "locations": [{"start": 0, "end": 1_000_000}] * 3}),
    ]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=int(os.environ.get("DIVE_BIO_SEED", "1")))
    ap.add_argument("--count", type=int, default=int(os.environ.get("DIVE_BIO_CASES", "100")),
                    help="randomized cases per tool")
    ap.add_argument("--no-large", action="store_true", help="leave out the megabase cases")
    opts = ap.parse_args()
    warnings.simplefilter("ignore")  # Biopython's warnings do not change the results
    r = random.Random(opts.seed)
    out = sys.stdout
    sys.stderr.write(f"oracle_more: Biopython {Bio.__version__}, seed {opts.seed}, {opts.count} cases per tool\n")

    def emit(tool, args, expected):
        out.write(json.dumps({"tool": tool, "args": args, "expected": expected}) + "\n")

    for tool, args in fixed_cases():
        emit(tool, args, expect(tool, args))
    for tool, gen in GENERATORS.items():
        for _ in range(opts.count):
            args, schema_invalid = gen(r)
            if schema_invalid:
                emit(tool, args, {"error": "invalid_args", "rejected_by": "schema"})
            else:
                emit(tool, args, expect(tool, args))
    if not opts.no_large:
        for tool, args in large_cases(r):
            emit(tool, args, expect(tool, args))


if __name__ == "__main__":
    main()
