#!/usr/bin/env bash
# Prove the SDK works out of tree: the lp2pd installed under DESTDIR $1
# loads the template plugin built in $2, validates its config, starts it,
# and stops cleanly on SIGTERM.
set -euo pipefail
root=$1 build=$2
bin=$(find "$root" -path '*/bin/lp2pd' -type f | head -n 1)
libdir=$(dirname "$(find "$root" -name 'liblp2p.so*' | head -n 1)")
[ -x "$bin" ] || { echo "no installed lp2pd under $root"; exit 1; }
export LD_LIBRARY_PATH=$libdir
conf=$(mktemp)
cat >"$conf" <<YAML
listen: [/ip4/127.0.0.1/tcp/0]
plugin_path: [$build]
plugins:
  hello:
    greeting: from the template test
YAML
out=$("$bin" --check-config -c "$conf")
echo "$out" | grep -q "hello 1.0.0" || { echo "template plugin not listed: $out"; exit 1; }
echo "$out" | grep -q "/hello/1.0.0" || { echo "template protocol not listed"; exit 1; }
printf 'plugins:\n  hello:\n    bogus: 1\n' >"$conf.bad"
echo "plugin_path: [$build]" >>"$conf.bad"
if "$bin" --check-config -c "$conf.bad" 2>"$conf.err"; then
	echo "a bad template config was accepted"; exit 1
fi
grep -q "plugins.hello.bogus: unknown key" "$conf.err" || { cat "$conf.err"; exit 1; }
log=$(mktemp)
"$bin" -c "$conf" 2>"$log" &
pid=$!
for _ in $(seq 50); do grep -q "greeting 'from the template test'" "$log" && break; sleep 0.1; done
kill -TERM $pid
wait $pid || { echo "lp2pd exited $? after SIGTERM"; cat "$log"; exit 1; }
grep -q "hello: stopped" "$log" || { echo "fini did not run"; cat "$log"; exit 1; }
rm -f "$conf" "$conf.bad" "$conf.err" "$log"
echo "SDK template: built out of tree, loaded, started and stopped"
