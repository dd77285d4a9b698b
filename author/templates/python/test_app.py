"""The tool's tests, run natively: python3 -m unittest (no component needed)."""

import json
import unittest

import app
from dive_tool import InvalidArgs, ToolCallError


class ToolTest(unittest.TestCase):
    def test_counts_bases_in_either_case(self):
        c = app.{{name}}("ATgc")
        self.assertEqual((c.length, c.a, c.c, c.g, c.t), (4, 1, 1, 1, 1))
        self.assertEqual(c.gc_fraction, 0.5)

    def test_refuses_other_letters_naming_the_position(self):
        with self.assertRaisesRegex(InvalidArgs, "position 3"):
            app.{{name}}("ATXG")

    def test_schema_comes_from_the_type_hints(self):
        (spec,) = app.Tool().list_tools()
        schema = json.loads(spec.input_schema)
        self.assertEqual(schema["required"], ["sequence"])
        self.assertEqual(schema["properties"]["sequence"]["x-dive-type"], "dna_sequence")
        self.assertIn("gc_fraction", json.loads(spec.output_schema)["properties"])

    def test_call_speaks_json_and_maps_errors(self):
        out = json.loads(app.Tool().call("{{name}}", '{"sequence": "GGCC"}'))
        self.assertEqual(out["gc_fraction"], 1.0)
        with self.assertRaises(ToolCallError) as e:
            app.Tool().call("{{name}}", '{"sequence": "N"}')
        self.assertEqual(e.exception.kind, "invalid-args")


if __name__ == "__main__":
    unittest.main()
