"""{{name}}: a dive tool written in Python, built into a component by componentize-py.

One tool, `{{name}}`: the base counts and GC content of a DNA sequence. Replace it with
yours: the function's type hints become the input schema, its docstring the
description, its return type (a dataclass) the output schema. `examples` are the
arguments `dive tool check` calls it with.
"""

from dataclasses import dataclass
from typing import Annotated

from dive_tool import Field, InvalidArgs, Tools

tools = Tools()


@dataclass
class Composition:
    length: Annotated[int, Field("Number of bases in the sequence.")]
    gc_fraction: Annotated[float, Field("Share of G and C among the bases, from 0 to 1.")]
    a: Annotated[int, Field("Count of A.")]
    c: Annotated[int, Field("Count of C.")]
    g: Annotated[int, Field("Count of G.")]
    t: Annotated[int, Field("Count of T.")]


@tools.tool(examples=[{"sequence": "ATGCGCGATTACA"}])
def {{name}}(
    # dive_type names what the value is, so the synthesizer can feed this argument with
    # a DNA sequence another tool returned.
    sequence: Annotated[str, Field("A DNA sequence: the letters A, C, G and T, in either case.", dive_type="dna_sequence", min_length=1)],
) -> Composition:
    """Count the bases of a DNA sequence and give its GC content (the share of G and C)."""
    counts = {"A": 0, "C": 0, "G": 0, "T": 0}
    for i, ch in enumerate(sequence.upper(), start=1):
        if ch not in counts:
            raise InvalidArgs(f"position {i}: {ch!r} is not A, C, G or T")
        counts[ch] += 1
    length = sum(counts.values())
    if length == 0:
        raise InvalidArgs("the sequence is empty")
    return Composition(length, (counts["C"] + counts["G"]) / length, counts["A"], counts["C"], counts["G"], counts["T"])


# componentize-py instantiates app.Tool for the component's dive:tool/tool export.
Tool = tools.export()
