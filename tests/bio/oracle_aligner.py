#!/usr/bin/env python3
"""Biopython oracle for score-only alignment against Bio.Align.PairwiseAligner (C).

Prints JSON lines {"tool", "args", "expected": {"score": S}}: random DNA and protein
pairs from 1 to 5,000 letters (the tools' cap), global and local, match/mismatch scores
and affine gaps (pairwise2's gap_open is the score of a gap's first position, as
PairwiseAligner's open_gap_score; end gaps scored like inner gaps in global mode, as
pairwise2_global_align's penalize_end_gaps default), each score from
PairwiseAligner.score in the same mode.

DIVE_BIO_SEED (default 1) and DIVE_BIO_CASES (default 40) choose the run.
"""

import json
import os
import random

from Bio.Align import PairwiseAligner


def main():
    r = random.Random(int(os.environ.get("DIVE_BIO_SEED", "1")))
    cases = int(os.environ.get("DIVE_BIO_CASES", "40"))
    sizes = [1000, 5000] + [r.choice([1, 2, 7, 50, 300, 1000]) for _ in range(cases - 2)]
    for i, n in enumerate(sizes):
        alphabet = "ACGT" if i % 3 else "ACDEFGHIKLMNPQRSTVWY"
        a = "".join(r.choice(alphabet) for _ in range(n))
        m = max(1, n + r.randint(-n // 10, n // 10))
        b = "".join(r.choice(alphabet) for _ in range(m))
        match = r.choice([1, 2, 5])
        mismatch = r.choice([0, -1, -3])
        gap_open = r.choice([-0.5, -1, -2, -10])
        gap_extend = r.choice([-0.1, -0.5, -1])
        gap_extend = max(gap_extend, gap_open)
        for mode in ("global", "local"):
            aligner = PairwiseAligner(mode=mode, match_score=match, mismatch_score=mismatch,
                                      open_gap_score=gap_open, extend_gap_score=gap_extend)
            args = {"sequence_a": a, "sequence_b": b, "match_score": match, "mismatch_score": mismatch,
                    "gap_open": gap_open, "gap_extend": gap_extend, "score_only": True}
            print(json.dumps({"tool": f"pairwise2_{mode}_align", "args": args,
                              "expected": {"score": aligner.score(a, b)}}))


if __name__ == "__main__":
    main()
