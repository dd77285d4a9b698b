#!/usr/bin/env python3
"""List the fields each of DIVE's 373 tools returns, read from DIVE's own source.

Usage: dive_fields.py DIVE_REPO [CATALOG_DIR] > fields.json

DIVE_REPO is a checkout or a bare git directory of github.com/sheep333c/DIVE (the
`fetch` tool's mirror, e.g. /work/.mirror/sheep333c+DIVE/repo); CATALOG_DIR holds the
tool catalog (default /work/shared/reference/dive/tool-catalog), whose `module` entry
names each tool's Python file. Nothing of DIVE's code is kept: the script reads each
tool's `execute` (and the helpers it calls) with Python's `ast` and writes, per tool,
the JSON paths of the values it returns:

    {"tool": {"family": F, "source": PATH, "fields": ["a", "b.c", "items[].d"],
              "passthrough": "response.json()" | null, "scalar": bool}}

`fields` are the keys of the dict literals that reach a `return` (directly, through a
variable filled with `v[...] = ...`, or as the elements of a list), nested with `.` and
`[]`. Error bodies (a dict whose only key is `error`) are left out: dive reports those
as tool errors. `passthrough` is the returned expression when the tool returns what the
upstream sent (a parsed response body, a DataFrame's records, Entrez.read's record),
whose fields are the upstream's; `scalar` marks tools that return a bare value.
"""

import ast
import json
import os
import subprocess
import sys

DOMAINS = ["academic", "biological", "financial", "general", "medical"]


def read_source(repo, path):
    """The file's text from a work tree or, failing that, from HEAD of a git dir."""
    full = os.path.join(repo, path)
    if os.path.isfile(full):
        with open(full, encoding="utf-8") as f:
            return f.read()
    r = subprocess.run(["git", "-C", repo, "show", "HEAD:" + path], capture_output=True, text=True)
    return r.stdout if r.returncode == 0 else None


def parse_lenient(text):
    """Parse, dropping trailing lines until it parses (a few DIVE files end in a
    stray fragment after the class)."""
    lines = text.splitlines()
    while lines:
        try:
            return ast.parse("\n".join(lines))
        except SyntaxError as e:
            lines = lines[: max(0, (e.lineno or len(lines)) - 1)]
    return ast.Module(body=[], type_ignores=[])


def is_error_dict(node):
    keys = [k.value for k in node.keys if isinstance(k, ast.Constant)]
    return keys == ["error"] or (keys and keys[0] == "error" and len(keys) <= 2 and "details" in keys)


PASSTHROUGH_HINTS = ("json", "read", "to_dict", "record", "content", "data", "handle")


class Function:
    """What one function builds and returns."""

    def __init__(self, node, functions):
        self.node = node
        self.functions = functions
        self.vars = {}  # name -> list of field paths
        self.list_vars = {}  # name -> element field paths (list of dicts built by append)

    def dict_fields(self, node, depth=0):
        out = []
        if depth > 6:
            return out
        if isinstance(node, ast.Dict):
            if is_error_dict(node):
                return out
            for k, v in zip(node.keys, node.values):
                if k is None:  # **spread
                    out.extend(self.value_fields(v, depth + 1))
                    continue
                if not (isinstance(k, ast.Constant) and isinstance(k.value, str)):
                    continue
                out.append(k.value)
                out.extend(k.value + sub for sub in self.nested(v, depth + 1))
        return out

    def nested(self, v, depth):
        """Paths below a value, prefixed with '.' or '[].'."""
        subs = []
        if isinstance(v, ast.Dict):
            subs = ["." + p for p in self.dict_fields(v, depth)]
        elif isinstance(v, ast.Name) and v.id in self.vars:
            subs = ["." + p for p in self.vars[v.id]]
        elif isinstance(v, ast.Name) and v.id in self.list_vars:
            subs = ["[]." + p for p in self.list_vars[v.id]]
        elif isinstance(v, (ast.ListComp, ast.List)):
            elts = [v.elt] if isinstance(v, ast.ListComp) else v.elts[:1]
            for e in elts:
                subs = ["[]." + p for p in self.value_fields(e, depth)]
        return subs

    def value_fields(self, node, depth=0):
        if isinstance(node, ast.Dict):
            return self.dict_fields(node, depth)
        if isinstance(node, ast.Name):
            return list(self.vars.get(node.id, []))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            f = node.func
            if isinstance(f.value, ast.Name) and f.value.id == "self" and f.attr in self.functions:
                return self.functions[f.attr].returned()[0]
        return []

    def scan(self):
        for n in ast.walk(self.node):
            if isinstance(n, ast.Assign):
                for t in n.targets:
                    if isinstance(t, ast.Name):
                        if isinstance(n.value, ast.Dict) and not is_error_dict(n.value):
                            self.vars.setdefault(t.id, []).extend(self.dict_fields(n.value))
                        elif isinstance(n.value, (ast.List, ast.ListComp)):
                            elts = [n.value.elt] if isinstance(n.value, ast.ListComp) else n.value.elts[:1]
                            fields = [p for e in elts for p in self.value_fields(e)]
                            self.list_vars.setdefault(t.id, []).extend(fields)
                    elif isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name):
                        key = t.slice
                        if isinstance(key, ast.Constant) and isinstance(key.value, str):
                            fields = self.vars.setdefault(t.value.id, [])
                            fields.append(key.value)
                            fields.extend(key.value + s for s in self.nested(n.value, 1))
            elif isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "append" and n.args \
                    and isinstance(n.func.value, ast.Subscript) and isinstance(n.func.value.value, ast.Name) \
                    and isinstance(n.func.value.slice, ast.Constant) and isinstance(n.func.value.slice.value, str):
                # result['parts'].append({...}): the list's elements
                name, key = n.func.value.value.id, n.func.value.slice.value
                self.vars.setdefault(name, []).extend(key + "[]." + p for p in self.value_fields(n.args[0]))
            elif isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and isinstance(n.func.value, ast.Name):
                name, attr = n.func.value.id, n.func.attr
                if attr == "append" and n.args:
                    self.list_vars.setdefault(name, []).extend(self.value_fields(n.args[0]))
                elif attr == "update" and n.args and isinstance(n.args[0], ast.Dict):
                    self.vars.setdefault(name, []).extend(self.dict_fields(n.args[0]))
        # A second pass resolves names filled after the dict that holds them.
        for n in ast.walk(self.node):
            if isinstance(n, ast.Assign):
                for t in n.targets:
                    if isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name):
                        key = t.slice
                        if isinstance(key, ast.Constant) and isinstance(key.value, str):
                            fields = self.vars.setdefault(t.value.id, [])
                            fields.extend(key.value + s for s in self.nested(n.value, 1))
        return self

    def returned(self):
        """(fields, passthrough expression or None, returns a scalar)."""
        fields, passthrough, scalar = [], None, False
        for n in ast.walk(self.node):
            if not isinstance(n, ast.Return) or n.value is None:
                continue
            v = n.value
            if isinstance(v, ast.Dict):
                fields.extend(self.dict_fields(v))
            elif isinstance(v, ast.Name) and (v.id in self.vars or v.id in self.list_vars):
                fields.extend(self.vars.get(v.id, []))
                fields.extend("[]." + p for p in self.list_vars.get(v.id, []))
            elif isinstance(v, ast.Call) and isinstance(v.func, ast.Attribute) and isinstance(v.func.value, ast.Name) \
                    and v.func.value.id == "self" and v.func.attr in self.functions and v.func.attr != self.node.name:
                f, p, s = self.functions[v.func.attr].returned()
                fields.extend(f)
                passthrough = passthrough or p
                scalar = scalar or s
            elif isinstance(v, ast.Constant) and isinstance(v.value, bool):
                continue  # validators' True/False
            elif isinstance(v, ast.Attribute) and isinstance(v.value, ast.Name) and v.value.id == "self":
                continue  # lazily built clients
            else:
                text = ast.unparse(v)
                if any(h in text for h in PASSTHROUGH_HINTS) or isinstance(v, ast.Name):
                    passthrough = passthrough or text
                else:
                    scalar = True
        return fields, passthrough, scalar


def tool_fields(tree):
    functions = {}
    for cls in [n for n in tree.body if isinstance(n, ast.ClassDef)] or [tree]:
        for f in cls.body:
            if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef)):
                functions[f.name] = None
    nodes = [f for cls in ast.walk(tree) if isinstance(cls, ast.ClassDef) for f in cls.body
             if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))]
    for f in nodes:
        functions[f.name] = Function(f, functions)
    for f in functions.values():
        if f is not None:
            f.scan()
    if functions.get("execute") is None:
        return [], None, False
    fields, passthrough, scalar = functions["execute"].returned()
    seen, ordered = set(), []
    for p in fields:
        if p not in seen:
            seen.add(p)
            ordered.append(p)
    return ordered, passthrough, scalar


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    repo = sys.argv[1]
    catalog = sys.argv[2] if len(sys.argv) > 2 else "/work/shared/reference/dive/tool-catalog"
    out = {}
    for dom in DOMAINS:
        with open(os.path.join(catalog, f"{dom}.json"), encoding="utf-8") as f:
            families = json.load(f)
        for family, tools in families.items():
            for t in tools:
                path = "tools/" + t["module"].split(":")[0].replace(".", "/") + ".py"
                text = read_source(repo, path)
                if text is None:
                    sys.exit(f"{path}: not in {repo}")
                fields, passthrough, scalar = tool_fields(parse_lenient(text))
                out[t["name"]] = {"domain": dom, "family": family, "source": path, "fields": fields,
                                  "passthrough": passthrough, "scalar": scalar}
    # One tool a line, so that a change in DIVE reads as a one-line diff.
    lines = [f"  {json.dumps(name)}: {json.dumps(out[name], sort_keys=True, ensure_ascii=False)}" for name in sorted(out)]
    print("{\n" + ",\n".join(lines) + "\n}")


if __name__ == "__main__":
    main()
