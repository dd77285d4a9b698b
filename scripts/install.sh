#!/usr/bin/env bash
# Install dive into PREFIX: the binary, its built-in tool pool where the binary looks for
# it (PREFIX/share/dive/tools, next to PREFIX/bin), the man page, shell completions and
# the docs. Used by `make install`, `make dist` and the install test.
#   scripts/install.sh DIVE_BINARY POOL_DIR PREFIX
set -euo pipefail
dive=$1 pool=$2 prefix=$3
root=$(cd "$(dirname "$0")/.." && pwd)
[ -x "$dive" ] || { echo "install: $dive is not an executable (run make first)" >&2; exit 1; }
[ -d "$pool" ] || { echo "install: no tool pool at $pool (run make first)" >&2; exit 1; }
mkdir -p "$prefix/bin" "$prefix/share/dive" "$prefix/share/man/man1" \
  "$prefix/share/bash-completion/completions" "$prefix/share/zsh/site-functions" \
  "$prefix/share/fish/vendor_completions.d" "$prefix/share/doc/dive"
install -m 0755 "$dive" "$prefix/bin/dive.tmp" && mv "$prefix/bin/dive.tmp" "$prefix/bin/dive"
rm -rf "$prefix/share/dive/tools.tmp"
cp -R "$pool" "$prefix/share/dive/tools.tmp"
rm -rf "$prefix/share/dive/tools" && mv "$prefix/share/dive/tools.tmp" "$prefix/share/dive/tools"
# The Rust tool SDK (with its vendored WIT), where `dive tool new --lang rust` finds it.
rm -rf "$prefix/share/dive/sdk.tmp" && mkdir -p "$prefix/share/dive/sdk.tmp/rust"
cp -R "$root/tool-modules/sdk/Cargo.toml" "$root/tool-modules/sdk/README.md" "$root/tool-modules/sdk/src" \
  "$root/tool-modules/sdk/wit" "$prefix/share/dive/sdk.tmp/rust/"
rm -rf "$prefix/share/dive/sdk" && mv "$prefix/share/dive/sdk.tmp" "$prefix/share/dive/sdk"
"$prefix/bin/dive" man > "$prefix/share/man/man1/dive.1"
"$prefix/bin/dive" completions bash > "$prefix/share/bash-completion/completions/dive"
"$prefix/bin/dive" completions zsh > "$prefix/share/zsh/site-functions/_dive"
"$prefix/bin/dive" completions fish > "$prefix/share/fish/vendor_completions.d/dive.fish"
cp "$root/README.md" "$root/LICENSE" "$prefix/share/doc/dive/"
cp -R "$root/docs" "$prefix/share/doc/dive/"
echo "installed dive and $(ls "$prefix/share/dive/tools" | wc -l) tool packages into $prefix"
