#!/bin/bash
# bench-cli.sh: how fast wirt and wirtctl answer, beside virsh doing the same, in one hyperfine run
# (docs/BENCHMARKS.md "CLI start-up"; `make bench-cli`). wirt runs as the packaged wrapper runs it
# (packaging/lib/cli.sh: its Java, options and class-data sharing archive, made here for
# target/wirt.jar by packaging/lib/update-cds-archive) against `wirtd --demo` on libvirt's test
# driver, in-process; virsh against the test driver too, which it runs in its own process:
#   wirt --version                 virsh --version
#   wirt list                      virsh -c test:///default list
#   wirt list, as installed: the   virsh -c qemu:///system list (libvirtd's socket: a
#     tree's name read from          client-server round trip, as wirt's is with wirtd)
#     examples/wirt.json, the home
#     given as -Duser.home
#   wirt start web (end to end:    virsh -c test:///<xml> start web (a shut-off domain, from an
#     the file written, wirtd's      XML file: test:///default has none, and each virsh gets
#     answer awaited; each run       a fresh driver, so `web` is shut off at every run)
#     prepared by wirt destroy,
#     whose own failure is let be:
#     a failed start is not)
#   wirtctl --version              -
# Environment: WIRT_BENCH_JAR (default target/wirt.jar), WIRT_BENCH_OPTS (JVM options instead of
# the wrapper's, e.g. to measure without the archive), WIRT_BENCH_RUNS (default 30).
set -euo pipefail
cd "$(dirname "$0")/.."
jar=${WIRT_BENCH_JAR:-target/wirt.jar}
runs=${WIRT_BENCH_RUNS:-30}
work=target/bench-cli
command -v hyperfine >/dev/null || { echo "bench-cli: needs hyperfine (apt-get install hyperfine)" >&2; exit 1; }
command -v virsh >/dev/null || { echo "bench-cli: needs virsh (apt-get install libvirt-clients)" >&2; exit 1; }
rm -rf "$work"
mkdir -p "$work"

. packaging/lib/cli.sh
if [ -n "${WIRT_BENCH_OPTS+set}" ]; then
  opts=$WIRT_BENCH_OPTS
else
  packaging/lib/update-cds-archive "$jar" "$work/cli.jsa"
  wirt_cli_setup "$jar" "$work/cli.jsa"
  opts=$wirt_opts
fi
wirt="$wirt_java $opts -jar $jar wirt"
wirtctl="$wirt_java $opts -jar $jar wirtctl"

# The demo wirtd with the packaged wirtd's JVM options (packaging/bin/wirtd).
wirtd_opts=$(sed -n 's/^default_opts="\(.*\)"$/\1/p' packaging/bin/wirtd)
# shellcheck disable=SC2086 # the options are words
java $wirtd_opts -jar "$jar" wirtd --demo "$work/demo" >"$work/wirtd.log" 2>&1 &
wirtd=$!
trap 'kill $wirtd 2>/dev/null; wait $wirtd 2>/dev/null || true' EXIT
for _ in $(seq 600); do
  grep -qs "Press Ctrl-C to stop." "$work/wirtd.log" && break
  kill -0 $wirtd 2>/dev/null || { cat "$work/wirtd.log" >&2; exit 1; }
  sleep 0.1
done
tree=$work/demo/home/alice/wirt
$wirt --tree "$tree" destroy web >/dev/null 2>&1 || true
cat >"$work/node.xml" <<'XML'
<node>
  <domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>
    <name>web</name>
    <memory unit='MiB'>512</memory>
    <vcpu>1</vcpu>
    <os><type>hvm</type></os>
    <test:runstate>5</test:runstate>
  </domain>
</node>
XML
node=test://$(realpath "$work/node.xml")

echo "load before: $(uptime)"
hyperfine -N --warmup 3 --runs "$runs" --export-json "$work/hyperfine.json" \
  --prepare true -n "wirt --version" "$wirt --version" \
  --prepare true -n "virsh --version" "virsh --version" \
  --prepare true -n "wirt list" "$wirt --tree $tree list" \
  --prepare true -n "virsh list" "virsh -c test:///default list" \
  --prepare true -n "wirt list (configuration)" \
    "$wirt_java $opts -Duser.home=$work/demo/home/alice -jar $jar wirt --config examples/wirt.json list" \
  --prepare true -n "virsh list (libvirtd)" "virsh -c qemu:///system list" \
  --prepare "sh -c '$wirt --tree $tree destroy web >/dev/null 2>&1 || true'" \
    -n "wirt start web" "$wirt --tree $tree start web" \
  --prepare true -n "virsh start web" "virsh -c $node start web" \
  --prepare true -n "wirtctl --version" "$wirtctl --version" >"$work/hyperfine.out"
echo "load after:  $(uptime)"
python3 - "$work/hyperfine.json" <<'PY'
import json, statistics, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
def cell(name):
    # Wall time, and the CPU time (user + system) the run took, which load from other work
    # stretches less.
    x = r[name]
    return "%.0f ms (median; mean %.0f ± %.0f, min %.0f); CPU %.0f ms" % (x["median"] * 1e3,
        x["mean"] * 1e3, x["stddev"] * 1e3, x["min"] * 1e3, (x["user"] + x["system"]) * 1e3)
print("| wirt | time | virsh | time |")
print("|---|---|---|---|")
for wl, w, vl, v in [
        ("`wirt --version`", "wirt --version", "`virsh --version`", "virsh --version"),
        ("`wirt list`", "wirt list", "`virsh -c test:///default list`", "virsh list"),
        ("`wirt list`, reading `wirt.json`", "wirt list (configuration)",
         "`virsh -c qemu:///system list`", "virsh list (libvirtd)"),
        ("`wirt start web`, end to end", "wirt start web", "`virsh -c test:///<xml> start web`",
         "virsh start web"),
        ("`wirtctl --version`", "wirtctl --version", "", None)]:
    print("| %s | %s | %s | %s |" % (wl, cell(w), vl, cell(v) if v else ""))
PY
