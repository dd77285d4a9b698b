#!/usr/bin/env python3
"""Question and answer measures of a task file (README, "Questions").

usage: question_measures.py TASKS.jsonl STORE_DIR TOOLS.json [DOMAIN]

TOOLS.json is `dive tools list --json` (tool names and schema field names to look for); STORE_DIR the store the tasks' traces are in
(answers are checked against the arguments of the calls on their path). Prints JSON.
"""
import json
import re
import sys
from collections import Counter


def identifier_shaped(name):
    underscore = "_" in name.strip("_")
    camel = name[:1].islower() and any(a.islower() and b.isupper() for a, b in zip(name, name[1:]))
    return (underscore or camel) and re.fullmatch(r"[A-Za-z0-9_]+", name) is not None


def property_names(schema, out):
    if isinstance(schema, dict):
        props = schema.get("properties")
        if isinstance(props, dict):
            out.update(props.keys())
        for v in schema.values():
            property_names(v, out)
    elif isinstance(schema, list):
        for v in schema:
            property_names(v, out)


def enum_values(schema, out):
    if isinstance(schema, dict):
        for v in schema.get("enum", []) if isinstance(schema.get("enum"), list) else []:
            if isinstance(v, str):
                out.add(v.lower())
        for v in schema.values():
            enum_values(v, out)
    elif isinstance(schema, list):
        for v in schema:
            enum_values(v, out)


def token(hay, needle):
    n = re.escape(needle.strip().lower())
    return re.search(r"(?<![\w.])" + n + r"(?![\w.])", hay.lower()) is not None


def scalars(v, out):
    if isinstance(v, dict):
        for c in v.values():
            scalars(c, out)
    elif isinstance(v, list):
        for c in v:
            scalars(c, out)
    elif isinstance(v, str):
        out.append(v)
    elif v is not None:
        out.append(json.dumps(v))


def shape(q, seed):
    """The question with its entities and numbers masked."""
    s = q.replace(seed, "<SEED>")
    s = re.sub(r"\b[A-Z][A-Za-z]*[A-Z]\w*\b", "<E>", s)  # sequences, codes, names in capitals
    s = re.sub(r"-?\d+(\.\d+)?", "<N>", s)
    s = re.sub(r'"[^"]*"', "<Q>", s)
    return s


def main():
    tasks_path, store, tools_path = sys.argv[1:4]
    tasks = [json.loads(l) for l in open(tasks_path)]
    tools = json.load(open(tools_path))
    domain = sys.argv[4] if len(sys.argv) > 4 else tasks[0]["domain"]
    tool_names = {t["name"] for t in tools if "_" in t["name"]}
    props, enums = set(), set()
    for t in tools:
        property_names(t["input_schema"], props)
        property_names(t.get("output_schema") or {}, props)
        enum_values(t["input_schema"], enums)
        enum_values(t.get("output_schema") or {}, enums)
    identifiers = {p for p in props if identifier_shaped(p)}
    naming, trivial, multi = [], [], 0
    called = set()
    shapes = Counter()
    for t in tasks:
        q, truth = t["question"], t["ground_truth"].strip()
        bad = []
        if not q.endswith("?"):
            bad.append("no question mark")
        if "`" in q or re.search(r"\bstep\b", q, re.I) or re.search(r"(^|\s)/[A-Za-z]", q):
            bad.append("step/backtick/path")
        bad += ["tool " + n for n in tool_names if token(q, n)]
        bad += ["field " + n for n in identifiers if token(q, n)]
        if bad:
            naming.append((q, bad))
        trace = t["trace"]
        doc = json.load(open(f"{store}/traces/{trace[:2]}/{trace[2:]}.json"))
        path = {c["index"] for c in t["evidence"]["calls"]}
        args = []
        for c in doc["calls"]:
            if c["index"] in path:
                scalars(c["args"], args)
        numeric = re.fullmatch(r"-?\d+(\.\d+)?([eE]-?\d+)?", truth) is not None
        why = None
        if len(truth) < 2 and not numeric:
            why = "single character"
        elif truth in args:
            why = "echoes an argument"
        elif not numeric and (truth.lower() in props or truth.lower() in enums):
            why = "a field or enum name"
        elif truth.lower() in ("true", "false"):
            why = "a flag"
        elif token(q, truth) or (not numeric and truth.upper() in q.upper()):
            why = "in the question"
        if why:
            trivial.append((q, truth, why))
        multi += len({c["tool"] for c in t["evidence"]["calls"]}) >= 2
        called.update(t["tool_graph"]["nodes"])
        shapes[shape(q, t["seed"])] += 1
    # The tools the run could call: the union of the sampled toolsets (with
    # --local-only, the domain's local tools).
    local = sorted({n for t in tasks for n in t["tools"]})
    n = len(tasks)
    print(json.dumps({
        "tasks": n,
        "questions_naming_tool_step_path_or_field": len(naming),
        "examples_naming": naming[:5],
        "trivial_answers": len(trivial),
        "trivial_share": round(len(trivial) / n, 4),
        "examples_trivial": trivial[:5],
        "answers_needing_2plus_tools": round(multi / n, 4),
        "domain_tools_called": f"{len(called & set(local))}/{len(local)}",
        "domain_tools_never_called": sorted(set(local) - called),
        "distinct_question_shapes": len(shapes),
        "distinct_shapes_per_task": round(len(shapes) / n, 4),
    }, indent=1))


if __name__ == "__main__":
    main()
