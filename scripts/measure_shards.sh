#!/usr/bin/env bash
# The "Beyond one machine" figures of the README, offline on this machine:
#  1. a 1-process and a 2-shard build of the same 1,000 tasks (biological, --local-only:
#     no network), each into a directory store and into an S3 store on a loopback moto
#     server; wall time and whether the merged file is byte-identical;
#  2. the object-store put/get rate against that server (an ignored test in tests/s3.rs).
#   scripts/measure_shards.sh [COUNT]      (needs target/release/dive, build/tools, .venv)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
count=${1:-1000}
dive=$root/target/release/dive
py=$root/.venv/bin/python3
work=$(mktemp -d)
port=$($py -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
$py -m moto.server -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1 &
moto=$!
trap 'kill $moto 2>/dev/null; rm -rf "$work"' EXIT
until curl -sf "http://127.0.0.1:$port/" >/dev/null; do sleep 0.2; done
curl -sf -X PUT "http://127.0.0.1:$port/dive-measure" >/dev/null
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1
export AWS_ENDPOINT_URL=http://127.0.0.1:$port DIVE_BUILTIN_TOOLS=$root/build/tools
export XDG_CACHE_HOME=$work/cache
synth() { "$dive" --store "$1" synth --domain biological --local-only --seed 11 --workers 2 "${@:2}" 2>/dev/null; }
secs() { local t0=$(date +%s.%N); "$@"; echo "$(date +%s.%N) - $t0" | bc; }
cd "$work"
# Warm the component cache once so every run below starts alike.
synth warm --count 2 --out warm
for kind in dir s3; do
  store=$work/$kind-store; [ $kind = s3 ] && store=s3://dive-measure/$kind
  one=$(secs synth "$store-one" --count "$count" --out one-$kind)
  t0=$(date +%s.%N)
  synth "$store-two" --count "$count" --shard 0/2 --out two-$kind & a=$!
  synth "$store-two" --count "$count" --shard 1/2 --out two-$kind & b=$!
  wait $a $b
  two=$(echo "$(date +%s.%N) - $t0" | bc)
  m=$(secs "$dive" merge two-$kind/tasks.jsonl two-$kind/tasks.shard-0-of-2.jsonl two-$kind/tasks.shard-1-of-2.jsonl 2>/dev/null)
  same=no; cmp -s one-$kind/tasks.jsonl two-$kind/tasks.jsonl && same=yes
  printf '%s store: 1 process %.2fs; 2 shards %.2fs + merge %.2fs; %s tasks, byte-identical: %s\n' \
    "$kind" "$one" "$two" "$m" "$(wc -l <one-$kind/tasks.jsonl)" "$same"
done
printf 'shard task counts (share + extra): %s\n' "$(wc -l two-s3/tasks.shard-*-of-2.jsonl | head -2 | awk '{print $1}' | paste -sd+)"
printf 'objects in the S3 store: %s\n' "$("$dive" --store s3://dive-measure/s3-two --json store fsck | $py -c 'import json,sys; r=json.load(sys.stdin); print(r["objects_checked"], "objects,", r["traces_checked"], "traces, problems:", len(r["problems"]))')"
t0=$(date +%s.%N); "$dive" --store s3://dive-measure/s3-two store fsck >/dev/null 2>&1 || true
t=$(echo "$(date +%s.%N) - $t0" | bc)
printf 'fsck of that S3 store (every object and trace fetched and re-hashed): %.2fs\n' "$t"
cd "$root"
kill $moto 2>/dev/null || true
PATH=$root/.venv/bin:$PATH cargo test --release --workspace --test integration -- --ignored --exact s3::measure_object_store_put_and_get_rate --nocapture 2>/dev/null | grep -E '^(put|get)'
