#!/bin/sh
# Run every generator of committed files, writing under OUT (a checkout's root: the
# files land where they are committed; `make gen` passes the checkout itself).
#   scripts/gen.sh OUT
# Generators read Biopython (the project's .venv), DIVE's reference catalog and seed
# lists (REFERENCE, default ../shared/reference/dive), and the built pool's tool specs
# (for the parity table; DIVE binary and pool from the Makefile). A generator whose
# input is absent is skipped and named on stderr. Each output is written to a temp file
# and renamed, so a failed generator leaves the old file.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:?usage: scripts/gen.sh OUT}
python=${PYTHON:-$root/.venv/bin/python3}
reference=${REFERENCE:-$root/../shared/reference/dive}
dive=${DIVE:-$root/target/release/dive}
pool=${POOL_DIR:-$root/build/tools}

# gen FILE COMMAND...: COMMAND's stdout becomes OUT/FILE.
gen() {
    file=$1; shift
    mkdir -p "$(dirname "$out/$file")"
    "$@" > "$out/$file.tmp"
    mv "$out/$file.tmp" "$out/$file"
    echo "generated $file" >&2
}

skip() { echo "skipped $1: $2" >&2; }

for g in bio_core/gen/gen_data.py:bio_core/src/data.rs \
         bio_core/gen/gen_pdb_data.py:bio_core/src/pdb_data.rs \
         bio_sequtils/gen/gen_data.py:bio_sequtils/src/data.rs \
         protparam/gen/gen_data.py:protparam/src/data.rs \
         restriction/gen/gen_data.py:restriction/src/data.rs; do
    gen "tool-modules/${g#*:}" "$python" "$root/tool-modules/${g%%:*}"
done

if [ -d "$reference/tool-catalog" ]; then
    gen tool-modules/tushare/src/table.rs "$python" "$root/tool-modules/tushare/gen/gen_tools.py" "$reference/tool-catalog/financial.json"
    mkdir -p "$out/tool-modules/rxnav/src"
    "$python" "$root/tool-modules/rxnav/scripts/gen_tools.py" "$reference/tool-catalog/medical.json" "$out/tool-modules/rxnav/src/tools.json" >&2
else
    skip "tool-modules/tushare/src/table.rs, tool-modules/rxnav/src/tools.json" "no catalog at $reference/tool-catalog (set REFERENCE)"
fi

if [ -d "$reference/seeds" ]; then
    mkdir -p "$out/deriver/data/seeds"
    "$python" "$root/scripts/make_seed_pools.py" "$reference/seeds" "$out/deriver/data/seeds" >&2
else
    skip "deriver/data/seeds/*.jsonl" "no seed lists at $reference/seeds (set REFERENCE)"
fi

if [ -x "$dive" ] && [ -d "$pool" ]; then
    specs=$(mktemp)
    "$dive" --json --no-builtin --tools "$pool" tools list > "$specs"
    gen tests/parity/parity.tsv "$python" "$root/scripts/parity/gen_table.py" "$root/tests/parity/dive_fields.json" "$specs" "$root/scripts/parity/rules.tsv"
    rm -f "$specs"
else
    skip tests/parity/parity.tsv "no dive binary or pool (make all)"
fi
