#!/usr/bin/env bash
# The main job, offline: list the built-in pool, run sandboxed tool calls, record them
# as an evidence trace, replay the trace byte-for-byte and check the store.
set -euo pipefail
DIVE=${1:-target/release/dive}
STORE=${DIVE_DEMO_STORE:-build/demo-store}
export DIVE_STORE="$STORE"
rm -rf "$STORE"

say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
run() { say "$*"; "$@"; }

run "$DIVE" tools list --domain biological
run "$DIVE" call bio_seq_translate '{"sequence": "ATGGCCATTGTAATGGGCCGCTGAAAGGGTGCCCGATAG", "table": 1}'
run "$DIVE" call codon_table_by_id '{"table_id": 2, "include_forward_table": false}'

say "$DIVE call bio_seq_translate ... --record --ref demo/translate   (trace id on stderr)"
"$DIVE" call bio_seq_translate '{"sequence": "ATGAAACGCATTAGCACCACCATTACCACCACCATCACCATTACCACAGGTAACGGTGCGGGCTGA", "to_stop": true}' \
  --record --ref demo/translate --clock 1767225600
run "$DIVE" replay demo/translate
run "$DIVE" store fsck

say "$DIVE call bio_seq_translate '{\"sequence\": \"AT\"}'   (schema check: exit 2)"
set +e
"$DIVE" call bio_seq_translate '{"sequence": "AT"}'
echo "exit code: $?"
set -e
printf '\nevidence store: %s\n' "$STORE"
