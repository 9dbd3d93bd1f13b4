#!/bin/sh
# tests/interop/rust/build.sh - build the rust-libp2p peer (see README.md):
# cargo build --release --locked into ./target, linked as bin/lp2p-rust-peer.
# Idempotent; quick when nothing changed.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
# rustup's install place, for a shell whose PATH does not name it
[ -x "${HOME:-/root}/.cargo/bin/cargo" ] && PATH=$PATH:${HOME:-/root}/.cargo/bin
if ! command -v cargo >/dev/null 2>&1; then
	echo "rust/build.sh: cargo not found: install a rust toolchain (rustup, stable >= 1.88)" >&2
	exit 1
fi
t0=$(date +%s)
if ! cargo build --release --locked --manifest-path "$here/Cargo.toml" \
	--target-dir "$here/target"; then
	echo "rust/build.sh: cargo build failed (is crates.io reachable? the versions are pinned by Cargo.lock)" >&2
	exit 1
fi
mkdir -p "$here/bin"
ln -sf ../target/release/lp2p-rust-peer "$here/bin/lp2p-rust-peer"
"$here/bin/lp2p-rust-peer" --help >/dev/null
echo "rust/build.sh: bin/lp2p-rust-peer ready ($(($(date +%s) - t0)) s)"
