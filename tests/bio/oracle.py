#!/usr/bin/env python3
"""Biopython oracle for the local biological tools (bio_seq, codon_table, iupac_data).

Generates randomized cases for every one of the 15 tools and writes one JSON line per
case to stdout:

    {"tool": NAME, "args": {...}, "expected": {"ok": RESULT}}
    {"tool": NAME, "args": {...}, "expected": {"error": "invalid_args"}}
    {"tool": NAME, "args": {...}, "expected": {"error": "invalid_args", "rejected_by": "schema"}}

Every RESULT is computed by Biopython (Bio.Seq, Bio.Data.CodonTable,
Bio.Data.IUPACData); an input Biopython raises on is expected to be rejected
(invalid_args). Two kinds of rejection are not Biopython's, and are marked apart:

* "rejected_by": "schema": the case breaks the tool's published input schema (the
  catalog's types, bounds and patterns), built that way on purpose here; the runtime
  must refuse it before the tool runs.
* input_rule(): the tools' size cap, the one rule they add to Biopython's: each
  sequence, motif or pattern takes at most 10 MB as JSON text (bio_core's
  MAX_SEQUENCE_LEN: UTF-8 bytes with JSON's escapes, so 10,000,000 sequence
  letters), to keep the call inside the sandbox's memory and output limits. Every
  other character rule is Biopython's own: a Seq holds any ASCII text (characters
  an operation does not know are left alone, or make their codon invalid) and
  raises on anything else.

Usage: oracle.py [--seed S] [--count N]   (N cases per tool; defaults from
DIVE_BIO_SEED and DIVE_BIO_CASES, else 1 and 100)
"""

import argparse
import itertools
import json
import os
import random
import sys
import warnings

try:
    import Bio
    from Bio import BiopythonWarning
    from Bio.Data import CodonTable, IUPACData
    from Bio.Seq import Seq
except ImportError:  # pragma: no cover
    sys.stderr.write("Biopython is not installed: `make setup` installs it (pip install biopython==1.88)\n")
    sys.exit(3)


# --------------------------------------------------------------------------------------
# The tools' input rule (see the module docstring).

MAX_TEXT = 10_000_000  # bio_core::MAX_SEQUENCE_LEN, bytes as JSON text


def json_len(s):
    """Bytes `s` takes inside a JSON string as the tools write it (serde_json: UTF-8,
    with '"', '\\' and the control characters escaped), as bio_core's json_len."""
    return len(json.dumps(s, ensure_ascii=False).encode()) - 2


def input_rule(tool, args):
    """True when the tools' size cap rejects these args."""
    if tool.startswith("bio_seq_"):
        return any(json_len(args.get(k, "")) > MAX_TEXT for k in ("sequence", "subsequence", "pattern"))
    return False


# --------------------------------------------------------------------------------------
# Expected results, computed by Biopython.


def names(table):
    return [n for n in table.names if n is not None]


def table_info(t, forward, back):
    out = {
        "id": t.id,
        "name": names(t)[0],
        "names": names(t),
        "start_codons": list(t.start_codons),
        "stop_codons": list(t.stop_codons),
    }
    if forward:
        out["forward_table"] = dict(t.forward_table)
    if back:
        # Biopython keys the stop codon by None; the tool names that key "*".
        out["back_table"] = {("*" if k is None else k): v for k, v in t.back_table.items()}
    return out


def bio_translate(a):
    table = a.get("table", 1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        protein = str(
            Seq(a["sequence"]).translate(
                table=table,
                stop_symbol=a.get("stop_symbol", "*"),
                to_stop=a.get("to_stop", False),
                cds=a.get("cds", False),
                gap=a.get("gap"),
            )
        )
    partial = any(
        issubclass(w.category, BiopythonWarning) and "Partial codon" in str(w.message) for w in caught
    )
    return {
        "protein": protein,
        "length": len(protein),
        "table": table,
        "table_name": names(CodonTable.ambiguous_generic_by_id[table])[0],
        "partial_codon": partial,
    }


def bio_complement(a):
    op = a.get("operation", "reverse_complement")
    result = str(getattr(Seq(a["sequence"]), op)())
    return {"result": result, "operation": op, "length": len(result)}


def bio_transcribe(a):
    op = a.get("operation", "transcribe")
    result = str(getattr(Seq(a["sequence"]), op)())
    return {"result": result, "operation": op, "length": len(result)}


def bio_count(a):
    s = Seq(a["sequence"])
    overlap = a.get("overlap", False)
    n = s.count_overlap(a["subsequence"]) if overlap else s.count(a["subsequence"])
    return {"count": n, "overlap": overlap, "sequence_length": len(s)}


def bio_find(a):
    s = Seq(a["sequence"])
    sub, start, end = a["subsequence"], a.get("start", 0), a.get("end")
    first = s.find(sub, start, end)
    out = {"found": first >= 0, "position": first}
    if a.get("find_all", False):
        positions, at = [], start
        while True:
            p = s.find(sub, at, end)
            if p < 0:
                break
            positions.append(p)
            at = p + 1
        out["positions"] = positions
        out["count"] = len(positions)
    return out


def bio_pattern(a):
    s = Seq(a["sequence"])
    op = a.get("operation", "startswith")
    p, start, end = a["pattern"], a.get("start", 0), a.get("end")
    out = {"operation": op}
    checks = []
    if op in ("startswith", "both"):
        out["starts_with"] = s.startswith(p, start, end)
        checks.append(out["starts_with"])
    if op in ("endswith", "both"):
        out["ends_with"] = s.endswith(p, start, end)
        checks.append(out["ends_with"])
    out["matches"] = all(checks)
    return out


def bio_back_transcribe(a):
    r = str(Seq(a["sequence"]).back_transcribe())
    return {"dna": r, "length": len(r)}


def bio_complement_rna(a):
    r = str(Seq(a["sequence"]).complement_rna())
    return {"complement": r, "length": len(r)}


def bio_reverse_complement(a):
    r = str(Seq(a["sequence"]).reverse_complement())
    return {"reverse_complement": r, "length": len(r)}


def bio_reverse_complement_rna(a):
    r = str(Seq(a["sequence"]).reverse_complement_rna())
    return {"reverse_complement": r, "length": len(r)}


def bio_codon_standard(a):
    return table_info(
        CodonTable.standard_dna_table, a.get("include_forward_table", True), a.get("include_back_table", False)
    )


def bio_codon_by_id(a):
    return table_info(
        CodonTable.unambiguous_dna_by_id[a["table_id"]],
        a.get("include_forward_table", True),
        a.get("include_back_table", False),
    )


def bio_codon_list(a):
    detail = a.get("include_details", True)
    tables = []
    for tid in sorted(CodonTable.unambiguous_dna_by_id):
        t = CodonTable.unambiguous_dna_by_id[tid]
        row = {"id": t.id, "name": names(t)[0], "names": names(t)}
        if detail:
            row["start_codons"] = list(t.start_codons)
            row["stop_codons"] = list(t.stop_codons)
        tables.append(row)
    return {"count": len(tables), "tables": tables}


def bio_letters(a):
    """Every field of DIVE's iupac_data_letters, under dive's names (the parity table,
    tests/parity/parity.tsv, maps one to the other)."""
    D = IUPACData
    kind = a.get("sequence_type", "all")
    amb = a.get("include_ambiguous", True)
    out = {"sequence_type": kind}

    def nucleotides(letters, ambiguous, values, complement, extended=None):
        n = {"letters": letters}
        if extended is not None:
            n["extended_letters"] = extended
        n["complement"] = {k: v for k, v in complement.items() if amb or k in letters}
        if amb:
            n["ambiguous_letters"] = ambiguous
            n["ambiguous_values"] = dict(values)
        return n

    if kind in ("dna", "all"):
        out["dna"] = nucleotides(
            D.unambiguous_dna_letters,
            D.ambiguous_dna_letters,
            D.ambiguous_dna_values,
            D.ambiguous_dna_complement,
            D.extended_dna_letters,
        )
    if kind in ("rna", "all"):
        out["rna"] = nucleotides(
            D.unambiguous_rna_letters, D.ambiguous_rna_letters, D.ambiguous_rna_values, D.ambiguous_rna_complement
        )
    if kind in ("protein", "all"):
        p = {
            "letters": D.protein_letters,
            "three_letter_codes": dict(D.protein_letters_1to3),
            "one_letter_codes": dict(D.protein_letters_3to1),
            "extended_letters": D.extended_protein_letters,
        }
        if amb:
            p["extended_values"] = dict(D.extended_protein_values)
            p["extended_three_letter_codes"] = dict(D.protein_letters_1to3_extended)
            p["extended_one_letter_codes"] = dict(D.protein_letters_3to1_extended)
        out["protein"] = p
    return out


def bio_weights(a):
    """Every field of DIVE's iupac_data_weights, under dive's names (ranges as
    [min, max] lists, which is how Biopython's tuples serialize)."""
    D = IUPACData
    kind = a.get("sequence_type", "all")
    wt = a.get("weight_type", "both")
    out = {"sequence_type": kind, "weight_type": wt}

    def ranges(d):
        return {k: list(v) for k, v in d.items()}

    def weights(avg, mono, amb_avg, avg_ranges, amb_ranges):
        w = {}
        if wt != "average":
            w["monoisotopic"] = dict(mono)
        if wt != "monoisotopic":
            w["average"] = dict(avg)
            w["ambiguous_average"] = dict(amb_avg)
            w["weight_ranges"] = ranges(avg_ranges)
            w["ambiguous_weight_ranges"] = ranges(amb_ranges)
        return w

    if kind in ("dna", "all"):
        out["dna"] = weights(
            D.unambiguous_dna_weights,
            D.monoisotopic_unambiguous_dna_weights,
            D.avg_ambiguous_dna_weights,
            D.unambiguous_dna_weight_ranges,
            D.ambiguous_dna_weight_ranges,
        )
    if kind in ("rna", "all"):
        out["rna"] = weights(
            D.unambiguous_rna_weights,
            D.monoisotopic_unambiguous_rna_weights,
            D.avg_ambiguous_rna_weights,
            D.unambiguous_rna_weight_ranges,
            D.ambiguous_rna_weight_ranges,
        )
    if kind in ("protein", "all"):
        out["protein"] = weights(
            D.protein_weights,
            D.monoisotopic_protein_weights,
            D.avg_extended_protein_weights,
            D.protein_weight_ranges,
            D.extended_protein_weight_ranges,
        )
    if kind == "all":
        out["atoms"] = dict(D.atom_weights)
    return out


BIOPYTHON = {
    "bio_seq_translate": bio_translate,
    "bio_seq_complement": bio_complement,
    "bio_seq_transcribe": bio_transcribe,
    "bio_seq_count": bio_count,
    "bio_seq_find": bio_find,
    "bio_seq_pattern": bio_pattern,
    "bio_seq_back_transcribe": bio_back_transcribe,
    "bio_seq_complement_rna": bio_complement_rna,
    "bio_seq_reverse_complement": bio_reverse_complement,
    "bio_seq_reverse_complement_rna": bio_reverse_complement_rna,
    "codon_table_standard": bio_codon_standard,
    "codon_table_by_id": bio_codon_by_id,
    "codon_table_list": bio_codon_list,
    "iupac_data_letters": bio_letters,
    "iupac_data_weights": bio_weights,
}


def expect(tool, args):
    if input_rule(tool, args):
        return {"error": "invalid_args"}
    try:
        return {"ok": BIOPYTHON[tool](args)}
    except Exception:  # Biopython raised: the tool must reject the input
        return {"error": "invalid_args"}


# --------------------------------------------------------------------------------------
# Case generators. Each yields (args, schema_invalid) pairs.

AMBIGUOUS = "RYSWKMBDHVN"
# Characters outside the IUPAC codes: ASCII ones Biopython's Seq keeps (or finds invalid
# in a codon), and a few non-ASCII ones it raises on.
JUNK = "0123456789!?#$%&'()+,/:;<=>@[]^_`{|}~ XJZOBEFIL\"\\\t\n\r\x00\x01\x1f\x7f"
NON_ASCII = ["é", "ſ", "€", "𝄞"]
BAD_CHARS = ["?", "Z", "*", " ", "\n", "1", "é", "J", "O", "_"]
ALL_TABLE_IDS = sorted(CodonTable.unambiguous_dna_by_id)
TRANSLATE_IDS = [i for i in ALL_TABLE_IDS if i <= 31]  # the schema's range
UNASSIGNED_IDS = [i for i in range(1, 32) if i not in ALL_TABLE_IDS]


def maybe(r, p):
    return r.random() < p


def rand_nucleotides(r, n, style=None):
    """A nucleotide string in one of several styles."""
    style = style or r.choice(["dna", "dna", "rna", "mixed", "ambiguous", "lower", "gapped", "x", "junk", "junk"])
    if style == "dna":
        s = "".join(r.choice("ACGT") for _ in range(n))
    elif style == "rna":
        s = "".join(r.choice("ACGU") for _ in range(n))
    elif style == "mixed":
        s = "".join(r.choice("ACGTU") for _ in range(n))
    elif style == "ambiguous":
        rate = r.choice([0.05, 0.2, 0.6, 1.0])
        s = "".join(r.choice(AMBIGUOUS) if maybe(r, rate) else r.choice("ACGTU" if maybe(r, 0.2) else "ACGT") for _ in range(n))
    elif style == "lower":
        s = "".join(r.choice("ACGTUacgtunrykmswbdhv") for _ in range(n))
    elif style == "gapped":
        codons = [r.choice(["---", "...", "AC-", "-"]) if maybe(r, 0.2) else "".join(r.choice("ACGT") for _ in range(3)) for _ in range(n // 3 + 1)]
        s = "".join(codons)[:n]
    elif style == "junk":
        # Any ASCII: nucleotides mixed with characters Biopython leaves alone.
        rate = r.choice([0.02, 0.1, 0.5, 1.0])
        s = "".join(r.choice(JUNK) if maybe(r, rate) else r.choice("ACGTUacgtuN") for _ in range(n))
    else:  # x: Biopython's historical X
        s = "".join(r.choice("ACGTXx") for _ in range(n))
    return s


def sprinkle_bad(r, s):
    """Insert one character outside the IUPAC codes, now and then a non-ASCII one."""
    i = r.randrange(len(s) + 1)
    c = r.choice(NON_ASCII) if maybe(r, 0.15) else r.choice(BAD_CHARS + list(JUNK))
    return s[:i] + c + s[i:]


def gen_translate(r):
    table = r.choice(TRANSLATE_IDS)
    if maybe(r, 0.05):
        table = r.choice(UNASSIGNED_IDS)
    t = CodonTable.unambiguous_dna_by_id.get(table, CodonTable.standard_dna_table)
    sense = list(t.forward_table)
    mode = r.random()
    if mode < 0.35:
        # A CDS-like sequence: start codon, sense codons (sometimes an internal stop), stop codon.
        body = [r.choice(sense) for _ in range(r.randrange(0, 40))]
        if maybe(r, 0.2) and body:
            body[r.randrange(len(body))] = r.choice(t.stop_codons)
        # Sometimes an ambiguous or mixed DNA/RNA start or stop from Biopython's extended lists.
        g = CodonTable.ambiguous_generic_by_id.get(table, CodonTable.ambiguous_generic_by_id[1])
        start = r.choice(g.start_codons if maybe(r, 0.3) else t.start_codons) if maybe(r, 0.85) else r.choice(sense)
        stop = r.choice(g.stop_codons if maybe(r, 0.3) else t.stop_codons) if maybe(r, 0.85) else r.choice(sense)
        seq = start + "".join(body) + stop
        if maybe(r, 0.15):
            seq += r.choice(["A", "TG"])
        if maybe(r, 0.3):
            seq = seq.replace("T", "U")
        if maybe(r, 0.15):
            seq = seq.lower()
    elif mode < 0.55:
        # Ambiguous codons: every letter drawn from the full IUPAC set.
        codes = "ACGTU" + AMBIGUOUS + "X"
        seq = "".join(r.choice(codes) for _ in range(3 * r.randrange(1, 30)))
    elif mode < 0.65:
        # Codons, then a partial codon of any characters (Biopython never reads it).
        seq = "".join(r.choice(sense) for _ in range(r.randrange(1, 20)))
        seq += "".join(r.choice(JUNK) for _ in range(r.choice([1, 2])))
    else:
        seq = rand_nucleotides(r, r.randrange(3, 150))
    seq = seq if len(seq) >= 3 else seq + "AAA"
    args = {"sequence": seq}
    if table != 1 or maybe(r, 0.5):
        args["table"] = table
    if maybe(r, 0.4):
        args["stop_symbol"] = r.choice(["*", "X", "@", "", "#", "*", "é", "\n", " ", "\x00", "\\", "€"] if maybe(r, 0.2)
                                       else ["*", "X", "@", "", "#"])
    if maybe(r, 0.35):
        args["to_stop"] = maybe(r, 0.6)
    if maybe(r, 0.4):
        args["cds"] = maybe(r, 0.7)
    if maybe(r, 0.35):
        gap = r.choice(["-", "-", ".", "X", "N", "", "~", "?", " ", "\t", "é"])
        args["gap"] = gap
        if gap and maybe(r, 0.5):
            cut = 3 * r.randrange(len(seq) // 3 + 1)
            args["sequence"] = seq[:cut] + gap * 3 + seq[cut:]
    if maybe(r, 0.08):
        args["sequence"] = sprinkle_bad(r, args["sequence"])
    if maybe(r, 0.03):
        # Schema violations: too short, table out of range, symbol too long, unknown field.
        bad = r.choice(["short", "table", "symbol", "field", "type"])
        if bad == "short":
            args["sequence"] = args["sequence"][:2]
        elif bad == "table":
            args["table"] = r.choice([0, 32, 33, 40, -1])
        elif bad == "symbol":
            args["stop_symbol"] = "**"
        elif bad == "field":
            args["frame"] = 1
        else:
            args["to_stop"] = "yes"
        return args, True
    return args, False


def gen_complement(r):
    seq = rand_nucleotides(r, r.randrange(1, 120))
    args = {"sequence": seq}
    if maybe(r, 0.8):
        args["operation"] = r.choice(["complement", "reverse_complement", "complement_rna", "reverse_complement_rna"])
    if maybe(r, 0.1):
        args["sequence"] = sprinkle_bad(r, seq)
    if maybe(r, 0.03):
        if maybe(r, 0.5):
            args["operation"] = "reverse"
        else:
            args["sequence"] = ""
        return args, True
    return args, False


def gen_transcribe(r):
    seq = rand_nucleotides(r, r.randrange(1, 120))
    args = {"sequence": seq}
    if maybe(r, 0.8):
        args["operation"] = r.choice(["transcribe", "back_transcribe"])
    if maybe(r, 0.1):
        args["sequence"] = sprinkle_bad(r, seq)
    if maybe(r, 0.03):
        args["operation"] = "translate"
        return args, True
    return args, False


def rand_text(r, n):
    style = r.choice(["dna", "repeat", "protein", "mixedcase", "symbols", "ascii", "junk"])
    if style == "dna":
        return "".join(r.choice("ACGT") for _ in range(n))
    if style == "repeat":
        unit = "".join(r.choice("AT") for _ in range(r.randrange(1, 4)))
        return (unit * (n // len(unit) + 1))[:n]
    if style == "protein":
        return "".join(r.choice(IUPACData.extended_protein_letters) for _ in range(n))
    if style == "mixedcase":
        return "".join(r.choice("ACGTacgt") for _ in range(n))
    if style == "ascii":  # any ASCII character, control characters included
        return "".join(chr(r.randrange(128)) for _ in range(n))
    if style == "junk":  # a small alphabet with characters outside the IUPAC codes
        return "".join(r.choice("AT1 ?\t\"") for _ in range(n))
    return "".join(r.choice("ACGT*-.") for _ in range(n))


def rand_motif(r, seq):
    if seq and maybe(r, 0.7):
        i = r.randrange(len(seq))
        return seq[i : i + r.randrange(1, 6)]
    return "".join(r.choice("ACGTa*1 ?\t\"") for _ in range(r.randrange(1, 5)))


def gen_count(r):
    seq = rand_text(r, r.randrange(1, 200))
    args = {"sequence": seq, "subsequence": rand_motif(r, seq)}
    if maybe(r, 0.8):
        args["overlap"] = maybe(r, 0.5)
    if maybe(r, 0.1):
        args["sequence"] = sprinkle_bad(r, seq)
    if maybe(r, 0.03):
        args["subsequence"] = ""
        return args, True
    return args, False


def window_args(r, args, n):
    if maybe(r, 0.6):
        args["start"] = r.randrange(0, n + 6)
    if maybe(r, 0.5):
        args["end"] = r.randrange(0, n + 6)
    if maybe(r, 0.03):
        # Past 2**64: JSON carries it as a float (1e+20); Python's slices take any int.
        args[r.choice(["start", "end"])] = 10**20


def gen_find(r):
    seq = rand_text(r, r.randrange(1, 200))
    args = {"sequence": seq, "subsequence": rand_motif(r, seq)}
    if maybe(r, 0.7):
        args["find_all"] = maybe(r, 0.6)
    window_args(r, args, len(seq))
    if maybe(r, 0.1):
        args["subsequence"] = sprinkle_bad(r, args["subsequence"])
    if maybe(r, 0.03):
        args["start"] = -1
        return args, True
    return args, False


def gen_pattern(r):
    seq = rand_text(r, r.randrange(1, 100))
    if maybe(r, 0.5):
        i = r.randrange(len(seq))
        pat = seq[:i + 1][: r.randrange(1, 6)] if maybe(r, 0.5) else seq[-r.randrange(1, 6):]
    else:
        pat = rand_motif(r, seq)
    args = {"sequence": seq, "pattern": pat}
    if maybe(r, 0.8):
        args["operation"] = r.choice(["startswith", "endswith", "both"])
    window_args(r, args, len(seq))
    if maybe(r, 0.1):
        args["sequence"] = sprinkle_bad(r, seq)
    if maybe(r, 0.03):
        args["end"] = -3
        return args, True
    return args, False


def gen_strict(alphabet):
    """For the tools whose schema allows only uppercase A C G and T or U."""

    def gen(r):
        seq = "".join(r.choice(alphabet) for _ in range(r.randrange(1, 150)))
        if maybe(r, 0.06):
            bad = r.choice(["lower", "other", "empty", "field"])
            if bad == "lower":
                seq = seq.lower()
            elif bad == "other":
                seq = sprinkle_bad(r, seq) if maybe(r, 0.5) else seq + ("T" if "U" in alphabet else "U")
            elif bad == "empty":
                seq = ""
            else:
                return {"sequence": seq, "operation": "complement"}, True
            return {"sequence": seq}, True
        return {"sequence": seq}, False

    return gen


def flags(r, args, names):
    for n in names:
        if maybe(r, 0.7):
            args[n] = maybe(r, 0.5)


def gen_codon_standard(r):
    args = {}
    flags(r, args, ["include_forward_table", "include_back_table"])
    if maybe(r, 0.03):
        args["table_id"] = 2
        return args, True
    return args, False


def gen_codon_by_id(r):
    args = {"table_id": r.randrange(1, 28)}  # the schema's range, unassigned ids included
    flags(r, args, ["include_forward_table", "include_back_table"])
    if maybe(r, 0.05):
        args["table_id"] = r.choice([0, 28, 33, 100])
        return args, True
    return args, False


def gen_codon_list(r):
    args = {}
    flags(r, args, ["include_details"])
    if maybe(r, 0.03):
        args["include_details"] = "no"
        return args, True
    return args, False


def gen_letters(r):
    args = {}
    if maybe(r, 0.8):
        args["sequence_type"] = r.choice(["dna", "rna", "protein", "all"])
    flags(r, args, ["include_ambiguous"])
    if maybe(r, 0.03):
        args["sequence_type"] = "DNA"
        return args, True
    return args, False


def gen_weights(r):
    args = {}
    if maybe(r, 0.8):
        args["sequence_type"] = r.choice(["dna", "rna", "protein", "all"])
    if maybe(r, 0.8):
        args["weight_type"] = r.choice(["monoisotopic", "average", "both"])
    if maybe(r, 0.03):
        args["weight_type"] = "exact"
        return args, True
    return args, False


GENERATORS = {
    "bio_seq_translate": gen_translate,
    "bio_seq_complement": gen_complement,
    "bio_seq_transcribe": gen_transcribe,
    "bio_seq_count": gen_count,
    "bio_seq_find": gen_find,
    "bio_seq_pattern": gen_pattern,
    "bio_seq_back_transcribe": gen_strict("ACGU"),
    "bio_seq_complement_rna": gen_strict("ACGU"),
    "bio_seq_reverse_complement": gen_strict("ACGT"),
    "bio_seq_reverse_complement_rna": gen_strict("ACGU"),
    "codon_table_standard": gen_codon_standard,
    "codon_table_by_id": gen_codon_by_id,
    "codon_table_list": gen_codon_list,
    "iupac_data_letters": gen_letters,
    "iupac_data_weights": gen_weights,
}


def fixed_cases():
    """Edge cases included in every run, whatever the seed."""
    cases = []
    T = "bio_seq_translate"
    coding = "GTGGCCATTGTAATGGGCCGCTGAAAGGGTGCCCGATAG"
    for table in range(1, 32):  # every id the schema allows, assigned or not
        for extra in ({}, {"to_stop": True}, {"cds": True}):
            cases.append((T, {"sequence": coding, "table": table, **extra}))
    for seq in ["ATG", "atg", "AUG", "TAA", "TAR", "TAN", "NNN", "TRA", "YTG", "RAT", "SAR", "MTA", "TUG",
                "ATGA", "ATGAA", "TA?", "---", "ATG---TAA", "AXG", "TAX", "NNNNN", "ATGTAA", "ATGTAGTAA"]:
        cases.append((T, {"sequence": seq}))
        cases.append((T, {"sequence": seq, "gap": "-"}))
        cases.append((T, {"sequence": seq, "cds": True}))
    cases.append((T, {"sequence": "ATGGCACGGAAGTGA", "table": 27, "cds": True}))
    for table in TRANSLATE_IDS:  # every extended start and stop codon Biopython lists, as a CDS
        g = CodonTable.ambiguous_generic_by_id[table]
        for start in g.start_codons:
            cases.append((T, {"sequence": start + "GCC" + g.stop_codons[0], "table": table, "cds": True}))
        for stop in g.stop_codons:
            cases.append((T, {"sequence": g.start_codons[0] + "GCC" + stop, "table": table, "cds": True}))
    cases.append((T, {"sequence": "ATG...TAA", "gap": "."}))
    cases.append((T, {"sequence": "ATGCCC", "stop_symbol": ""}))
    # Characters outside the IUPAC codes: fine in a partial codon, invalid in a codon,
    # a non-ASCII stop symbol only when a stop is written, a non-ASCII gap never matches.
    for seq in ["ATG?", "ATG?!", "ATGTAA1", "ATG1AA", "AT GTAA", "ATG\x00", "ATGé"]:
        cases.append((T, {"sequence": seq}))
    for stop in ["é", "\n", "\x00", " "]:
        cases.append((T, {"sequence": "ATG?", "stop_symbol": stop}))
        cases.append((T, {"sequence": "ATGTAA", "stop_symbol": stop}))
        cases.append((T, {"sequence": "ATGTAA", "stop_symbol": stop, "to_stop": True}))
    for gap in ["é", "?", " ", "\t"]:
        cases.append((T, {"sequence": "ATG" + gap * 3 + "TAA", "gap": gap}))
    for op in ["complement", "reverse_complement", "complement_rna", "reverse_complement_rna"]:
        cases.append(("bio_seq_complement", {"sequence": "ACGTUacgtuRYSWKMBDHVNXrywskmbdhvnx-.", "operation": op}))
    ascii = "".join(chr(c) for c in range(128))
    for op in ["complement", "reverse_complement", "complement_rna", "reverse_complement_rna"]:
        cases.append(("bio_seq_complement", {"sequence": ascii, "operation": op}))
        cases.append(("bio_seq_complement", {"sequence": "ACGTé", "operation": op}))
    for op in ["transcribe", "back_transcribe"]:
        cases.append(("bio_seq_transcribe", {"sequence": "ACGTUacgtuN-", "operation": op}))
        cases.append(("bio_seq_transcribe", {"sequence": ascii, "operation": op}))
    cases.append(("bio_seq_count", {"sequence": "A1 A1 A1", "subsequence": "1 "}))
    cases.append(("bio_seq_count", {"sequence": "\x00\x00\x00", "subsequence": "\x00\x00", "overlap": True}))
    cases.append(("bio_seq_count", {"sequence": "ACGT", "subsequence": "é"}))
    cases.append(("bio_seq_find", {"sequence": "ACGT?ACGT?", "subsequence": "?", "find_all": True}))
    cases.append(("bio_seq_pattern", {"sequence": "\"quoted\"", "pattern": "\"", "operation": "both"}))
    cases.append(("bio_seq_count", {"sequence": "AAAA", "subsequence": "AA"}))
    cases.append(("bio_seq_count", {"sequence": "AAAA", "subsequence": "AA", "overlap": True}))
    cases.append(("bio_seq_count", {"sequence": "ATATATATA", "subsequence": "ATA", "overlap": True}))
    cases.append(("bio_seq_find", {"sequence": "ACGT", "subsequence": "T", "start": 3}))
    cases.append(("bio_seq_find", {"sequence": "ACGT", "subsequence": "T", "start": 4}))
    cases.append(("bio_seq_find", {"sequence": "ACGT", "subsequence": "CG", "start": 1, "end": 3, "find_all": True}))
    cases.append(("bio_seq_find", {"sequence": "ACGT", "subsequence": "CG", "start": 3, "end": 1}))
    cases.append(("bio_seq_pattern", {"sequence": "ATGAAA", "pattern": "AAA", "operation": "both", "start": 3}))
    cases.append(("bio_seq_pattern", {"sequence": "ATG", "pattern": "ATG", "start": 5}))
    cases.append(("bio_seq_find", {"sequence": "ACGT", "subsequence": "T", "end": 10**20, "find_all": True}))
    cases.append(("bio_seq_find", {"sequence": "ACGT", "subsequence": "T", "start": 10**20}))
    cases.append(("bio_seq_pattern", {"sequence": "ATG", "pattern": "G", "operation": "both", "end": 10**20}))
    for tid in ALL_TABLE_IDS + UNASSIGNED_IDS:
        if tid <= 27:
            cases.append(("codon_table_by_id", {"table_id": tid, "include_back_table": True}))
    for fw, bk in itertools.product([False, True], repeat=2):
        cases.append(("codon_table_standard", {"include_forward_table": fw, "include_back_table": bk}))
    for d in [False, True]:
        cases.append(("codon_table_list", {"include_details": d}))
    for kind in ["dna", "rna", "protein", "all"]:
        for amb in [False, True]:
            cases.append(("iupac_data_letters", {"sequence_type": kind, "include_ambiguous": amb}))
        for wt in ["monoisotopic", "average", "both"]:
            cases.append(("iupac_data_weights", {"sequence_type": kind, "weight_type": wt}))
    return cases


def large_cases(r):
    """One megabase each: the limits a real sequence needs; and the size cap on text
    that JSON escapes (each '"' takes two bytes, each tab two)."""
    dna = "".join(r.choice("ACGT") for _ in range(1_000_000))
    return [
        ("bio_seq_translate", {"sequence": dna, "table": 11}),
        ("bio_seq_complement", {"sequence": dna}),
        ("bio_seq_count", {"sequence": dna, "subsequence": "ATG", "overlap": True}),
        ("bio_seq_find", {"sequence": "A" * 1_000_000, "subsequence": "AAA", "find_all": True}),
        ("bio_seq_count", {"sequence": "AC\t" * 2_500_000, "subsequence": "\t"}),
        ("bio_seq_complement", {"sequence": '"' * 5_000_001}),
    ]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=int(os.environ.get("DIVE_BIO_SEED", "1")))
    ap.add_argument("--count", type=int, default=int(os.environ.get("DIVE_BIO_CASES", "100")),
                    help="randomized cases per tool")
    ap.add_argument("--no-large", action="store_true", help="leave out the megabase cases")
    opts = ap.parse_args()
    r = random.Random(opts.seed)
    out = sys.stdout
    sys.stderr.write(f"oracle: Biopython {Bio.__version__}, seed {opts.seed}, {opts.count} cases per tool\n")

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
