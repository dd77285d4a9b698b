#!/usr/bin/env bash
# A release archive that runs on a machine that never saw the source:
# OUT_DIR/dive-VERSION-ARCH-linux.tar.gz holding the scripts/install.sh layout.
#   scripts/dist.sh DIVE_BINARY POOL_DIR OUT_DIR
set -euo pipefail
dive=$1 pool=$2 out=$3
version=$("$dive" --version | awk '{print $2}')
name="dive-$version-$(uname -m)-linux"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
"$(dirname "$0")/install.sh" "$dive" "$pool" "$stage/$name" >/dev/null
mkdir -p "$out"
tar -C "$stage" -czf "$out/$name.tar.gz.tmp" "$name"
mv "$out/$name.tar.gz.tmp" "$out/$name.tar.gz"
echo "$out/$name.tar.gz"
