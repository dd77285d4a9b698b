// The tool's tests, run natively: node --test (no component needed).
import assert from "node:assert/strict";
import { test } from "node:test";
import { composition, tool } from "./app.js";
import { InvalidArgs, ToolCallError } from "./dive_tool.js";

test("counts bases in either case", () => {
  const c = composition("ATgc");
  assert.deepEqual([c.length, c.a, c.c, c.g, c.t], [4, 1, 1, 1, 1]);
  assert.equal(c.gc_fraction, 0.5);
});

test("refuses other letters, naming the position", () => {
  assert.throws(() => composition("ATXG"), (e) => e instanceof InvalidArgs && /position 3/.test(e.message));
});

test("the export speaks JSON and maps errors to the WIT tool-error", () => {
  const [spec] = tool.listTools();
  assert.equal(JSON.parse(spec.inputSchema).properties.sequence["x-dive-type"], "dna_sequence");
  assert.equal(JSON.parse(tool.call("{{name}}", '{"sequence": "GGCC"}')).gc_fraction, 1);
  assert.throws(
    () => tool.call("{{name}}", '{"sequence": "N"}'),
    (e) => e instanceof ToolCallError && e.payload.tag === "invalid-args",
  );
});
