#!/usr/bin/env python3
"""Print the tool families of the built-in pool: members of the tool-modules workspace
that have a dive-tool.toml (a crate outside `members` is not built, so not listed)."""
import os
import sys
import tomllib

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tool-modules")
with open(os.path.join(root, "Cargo.toml"), "rb") as f:
    members = tomllib.load(f)["workspace"]["members"]
print(" ".join(m for m in members if os.path.isfile(os.path.join(root, m, "dive-tool.toml"))))
sys.exit(0)
