#!/usr/bin/env bash
# Install what building and testing lp2p needs on Debian 12: the build
# tools and libraries (apt), and Node 22 + the pinned js-libp2p packages
# for the interop tests (npm, into tests/interop/node_modules).
# Idempotent: installs only what is missing.  Needs root (or sudo) for apt.
set -euo pipefail
cd "$(dirname "$0")/.."

debs=(build-essential autoconf automake libtool pkg-config
      libev-dev libssl-dev libyaml-dev libcmocka-dev
      clang libclang-rt-14-dev mandoc
      libprotobuf-c-dev protobuf-c-compiler) # protobuf-c: bench/protobuf-bench only
command -v npm >/dev/null 2>&1 || debs+=(npm)

missing=()
for p in "${debs[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing+=("$p")
	fi
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "install-deps: installing Debian packages: ${missing[*]}"
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get update -qq
	$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
	echo "install-deps: Debian packages present"
fi

if [ -x tests/interop/setup.sh ]; then
	tests/interop/setup.sh
fi
