#!/usr/bin/env python3
"""Generate tests/parity/parity.tsv: DIVE's returned fields -> dive's output paths.

Usage: gen_table.py DIVE_FIELDS SPECS RULES > tests/parity/parity.tsv

  DIVE_FIELDS  tests/parity/dive_fields.json (scripts/parity/dive_fields.py's output)
  SPECS        `dive --json tools list` over the built-in pool (output schemas)
  RULES        scripts/parity/rules.tsv: the mappings reviewed by hand

`make parity` runs it (and dive_fields.py first when DIVE_REPO is set).

Each DIVE field gets one row. A rule for the tool (or for its family, `family:NAME`)
with the same DIVE field wins; otherwise the field maps to the output path of the same
name (the same nesting, or else the one property of that name anywhere in the output
schema), `always` when every step of the path is required by the schema, else
`optional`. A field with no rule and no same-named property is written as MISSING, so
that the table says so until a rule maps it or explains the difference. Rules whose
DIVE field DIVE's source does not list (what a passthrough tool's upstream answer
holds, the `error` body) are added as rows too. A rule key ending in `*` matches every
family it is a prefix of (`family:tushare_*`); the DIVE field `(body).*` stands for
every top-level property of dive's output (the upstream's answer passed through).
"""

import csv
import json
import sys

HEADER = ["tool", "domain", "dive_field", "dive_path", "when", "note"]
ERROR_NOTE = "DIVE's {error: ...} bodies become typed tool errors (invalid-args, upstream, ...), not results"


def load_rules(path):
    """key (tool or family:NAME) -> list of (dive_field, dive_path, when, note)."""
    rules = {}
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            cols = line.split("\t")
            if len(cols) != 5:
                sys.exit(f"{path}:{n}: {len(cols)} columns, expected 5 (key, dive_field, dive_path, when, note)")
            rules.setdefault(cols[0], []).append(tuple(cols[1:]))
    return rules


def walk_schema(schema, root, prefix, required, out, depth=0):
    """Every property path of an output schema -> whether each step is required."""
    if depth > 12 or not isinstance(schema, dict):
        return
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        node = root
        for part in ref[2:].split("/"):
            node = node.get(part, {}) if isinstance(node, dict) else {}
        schema = node
    for k in ("anyOf", "oneOf", "allOf"):
        for alt in schema.get(k, []) or []:
            walk_schema(alt, root, prefix, required, out, depth + 1)
    props = schema.get("properties") or {}
    req = set(schema.get("required") or [])
    for name, sub in props.items():
        path = f"{prefix}.{name}" if prefix else name
        out.setdefault(path, required and name in req)
        walk_schema(sub, root, path, required and name in req, out, depth + 1)
    items = schema.get("items")
    if isinstance(items, dict):
        walk_schema(items, root, f"{prefix}[]" if prefix else "[]", required, out, depth + 1)


def match(field, paths):
    """dive's path for a DIVE field of the same name, or None."""
    if field in paths:
        return field
    leaf = field.replace("[]", "").split(".")[-1]
    same = [p for p in paths if p.replace("[]", "").split(".")[-1] == leaf]
    return same[0] if len(same) == 1 else None


def expand_body(paths, prefix, note, ruled):
    """`(body).*`: every top-level property of dive's output (below `prefix`, `.` for
    the root) is the same field of the upstream's answer, which DIVE returns as is."""
    base = "" if prefix == "." else prefix
    for p, required in paths.items():
        rest = p[len(base) + 1:] if base else p
        if base and not p.startswith(base + "."):
            continue
        if "." in rest or "[]" in rest:
            continue
        ruled.setdefault(rest, (p, "always" if required else "optional", note))


def rows_for(tool, info, spec, rules, family_listed):
    """The rows of one tool; `family_listed` holds the fields DIVE's source lists for
    some tool of the same family."""
    dom, fam = info["domain"], info["family"]
    tool_rules = {r[0] for r in rules.get(tool, [])}
    schema = spec.get("output_schema") or {}
    paths = {}
    walk_schema(schema, schema, "", True, paths)
    ruled = {}
    keys = [k for k in rules if k.endswith("*") and f"family:{fam}".startswith(k[:-1])]
    for key in keys + [f"family:{fam}", tool]:  # the tool's own rules override its family's
        for field, path, when, note in rules.get(key, []):
            if field == "(body).*":
                expand_body(paths, path, note, ruled)
            else:
                ruled[field] = (path, when, note)
    ruled.setdefault("error", ("-", "always", ERROR_NOTE))
    rows, done = [], set()
    for field in info["fields"]:
        if field in ruled:
            path, when, note = ruled[field]
        else:
            path = match(field, paths)
            if path is None:
                path, when, note = "MISSING", "always", "no rule and no property of this name in dive's output"
            else:
                when = "always" if paths[path] else "optional"
                note = "same name" if path == field else f"same name, at {path}"
        rows.append([tool, dom, field, path, when, note])
        done.add(field)
    returns_as_is = info["passthrough"] is not None or info["scalar"]
    for field, (path, when, note) in ruled.items():
        if field in done:
            continue
        from_family = field not in tool_rules
        if from_family and field != "error":
            # A family rule for a field DIVE's source lists for some tools only (Tushare's
            # `count`) is not added to the others; `(body)` rows and the fields of an
            # upstream answer only to the tools that return it as is.
            if field in family_listed or not returns_as_is:
                continue
        rows.append([tool, dom, field, path, when, note])
    return rows


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    with open(sys.argv[1], encoding="utf-8") as f:
        fields = json.load(f)
    with open(sys.argv[2], encoding="utf-8") as f:
        specs = {s["name"]: s for s in json.load(f)}
    rules = load_rules(sys.argv[3])
    w = csv.writer(sys.stdout, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_NONE, escapechar="\\")
    w.writerow(HEADER)
    for tool in sorted(fields):
        if tool not in specs:
            sys.exit(f"{tool}: not in the built-in pool's specs")
        fam = fields[tool]["family"]
        listed = {f for t in fields.values() if t["family"] == fam for f in t["fields"]} - set(fields[tool]["fields"])
        for row in rows_for(tool, fields[tool], specs[tool], rules, listed):
            w.writerow(row)


if __name__ == "__main__":
    main()
