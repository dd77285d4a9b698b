// {{name}}: a dive tool written in JavaScript, built into a component by componentize-js.
//
// One tool, `{{name}}`: the base counts and GC content of a DNA sequence. Replace it
// with yours. The schemas are written out by hand; `examples` are the arguments
// `dive tool check` calls the tool with, and `x-dive-type` names what a value is, so
// the synthesizer can feed the argument with a DNA sequence another tool returned.

import { defineTools, InvalidArgs } from "./dive_tool.js";

/** The tool's logic, a plain function (test.mjs calls it with node). */
export function composition(sequence) {
  const counts = { A: 0, C: 0, G: 0, T: 0 };
  [...sequence.toUpperCase()].forEach((ch, i) => {
    if (!(ch in counts)) throw new InvalidArgs(`position ${i + 1}: '${ch}' is not A, C, G or T`);
    counts[ch] += 1;
  });
  const length = counts.A + counts.C + counts.G + counts.T;
  if (length === 0) throw new InvalidArgs("the sequence is empty");
  return { length, gc_fraction: (counts.C + counts.G) / length, a: counts.A, c: counts.C, g: counts.G, t: counts.T };
}

const count = (what) => ({ type: "integer", description: `Count of ${what}.` });

// The component's dive:tool/tool export.
export const tool = defineTools([
  {
    name: "{{name}}",
    description: "Count the bases of a DNA sequence and give its GC content (the share of G and C).",
    inputSchema: {
      type: "object",
      properties: {
        sequence: {
          type: "string",
          minLength: 1,
          description: "A DNA sequence: the letters A, C, G and T, in either case.",
          "x-dive-type": "dna_sequence",
        },
      },
      required: ["sequence"],
      additionalProperties: false,
      examples: [{ sequence: "ATGCGCGATTACA" }],
    },
    outputSchema: {
      type: "object",
      properties: {
        length: { type: "integer", description: "Number of bases in the sequence." },
        gc_fraction: { type: "number", description: "Share of G and C among the bases, from 0 to 1." },
        a: count("A"),
        c: count("C"),
        g: count("G"),
        t: count("T"),
      },
      required: ["length", "gc_fraction", "a", "c", "g", "t"],
    },
    run: ({ sequence }) => composition(sequence),
  },
]);
