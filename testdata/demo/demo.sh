#!/bin/sh
# make demo: run the demo service tree with bin/runsv in the foreground.
# Press Ctrl-C (or set DEMO_SECONDS=N) to stop every service and exit.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
bin=$top/bin
work=$(mktemp -d "${TMPDIR:-/tmp}/gorunit-demo.XXXXXX")
cp -R "$top/testdata/demo/services" "$work/service"
export SVDIR="$work/service"
export PATH="$bin:$PATH" # log/run runs our svlogd

pids=""
for d in "$SVDIR"/*/; do
	"$bin/runsv" "$d" &
	pids="$pids $!"
done

stop() {
	trap - INT TERM
	echo
	echo "stopping: sv exit on every service"
	"$bin/sv" -w 10 exit "$SVDIR"/*/ || true
	for p in $pids; do wait "$p" 2>/dev/null || true; done
	rm -rf "$work"
	echo "all stopped"
	exit 0
}
trap stop INT TERM

"$bin/sv" -w 5 start hello ticker >/dev/null 2>&1 || true
cat <<EOT

gorunit demo: $(echo $pids | wc -w) runsv processes supervising $SVDIR
In another terminal, try:

  export SVDIR=$SVDIR
  $bin/sv status hello ticker crashy idle
  $bin/sv -v up idle           # start a normally-down service
  $bin/sv -w 7 restart ticker  # restart and wait for ./check
  $bin/sv pause hello; $bin/sv status hello
  tail -f $SVDIR/hello/log/current

Current status:
EOT
"$bin/sv" status hello ticker crashy idle || true
echo
echo "Press Ctrl-C to stop."
if [ -n "${DEMO_SECONDS:-}" ]; then
	sleep "$DEMO_SECONDS"
	"$bin/sv" status hello ticker crashy idle || true
	stop
fi
while :; do sleep 1; done
