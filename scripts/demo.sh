#!/usr/bin/env bash
# The main job, offline: list the built-in pool, run sandboxed tool calls, record them
# as an evidence trace, replay the trace byte-for-byte and check the store; then build a
# small verifiable dataset from the biological domain's local tools (seeded from DNA
# generated from the run seed), re-verify it by offline replay and print its diversity.
set -euo pipefail
DIVE=${1:-target/release/dive}
STORE=${DIVE_DEMO_STORE:-build/demo-store}
TASKS=${DIVE_DEMO_TASKS:-build/demo-tasks}
COUNT=${DIVE_DEMO_COUNT:-200}
export DIVE_STORE="$STORE"
rm -rf "$STORE" "$TASKS"

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

run "$DIVE" synth --domain biological --local-only --count "$COUNT" --seed 1 --workers 2 --out "$TASKS"
say "head -n 1 $TASKS/tasks.jsonl   (one task record)"
head -n 1 "$TASKS/tasks.jsonl" | python3 -c 'import json, sys; t = json.load(sys.stdin); print(json.dumps({k: t[k] for k in ("question", "ground_truth", "verifier", "answer_path", "trace")}, indent=2))'
run "$DIVE" reverify "$TASKS/tasks.jsonl"
run "$DIVE" stats "$TASKS/tasks.jsonl"
printf '\nevidence store: %s\ntasks: %s/tasks.jsonl\n' "$STORE" "$TASKS"
