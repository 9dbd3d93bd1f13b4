#!/usr/bin/env bash
# Prove the SDK works out of tree: the lp2pd installed under DESTDIR $1
# loads the template plugin built in $2, validates its config, starts it,
# serves /hello/1.0.0 to a second lp2pd that asks it (the answer must
# carry the greeting), and both stop cleanly on SIGTERM.
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
addr=
for _ in $(seq 50); do
	addr=$(sed -n 's/.*listening on \(\/ip4\/[^ ]*\).*/\1/p' "$log" | head -n 1)
	[ -n "$addr" ] && grep -q "greeting 'from the template test'" "$log" && break
	sleep 0.1
done
[ -n "$addr" ] || { echo "the serving lp2pd did not listen"; cat "$log"; kill $pid; exit 1; }
# a second node asks the first over /hello/1.0.0
cat >"$conf.ask" <<YAML
listen: [/ip4/127.0.0.1/tcp/0]
plugin_path: [$build]
plugins:
  hello:
    greet: $addr
YAML
"$bin" -c "$conf.ask" 2>"$log.ask" &
pid2=$!
for _ in $(seq 100); do grep -q "hello: answered\|hello: no answer\|hello: dial failed" "$log.ask" && break; sleep 0.1; done
kill -TERM $pid2
wait $pid2 || { echo "the asking lp2pd exited $? after SIGTERM"; cat "$log.ask"; exit 1; }
kill -TERM $pid
wait $pid || { echo "lp2pd exited $? after SIGTERM"; cat "$log"; exit 1; }
grep -q "hello: answered 'from the template test, template test'" "$log.ask" ||
	{ echo "no answer over /hello/1.0.0"; cat "$log.ask" "$log"; exit 1; }
grep -q "hello: stopped" "$log" || { echo "fini did not run"; cat "$log"; exit 1; }
rm -f "$conf" "$conf.bad" "$conf.err" "$conf.ask" "$log" "$log.ask"
echo "SDK template: built out of tree, loaded, served /hello/1.0.0 to a second node, stopped"
