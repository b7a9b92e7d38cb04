#!/bin/sh
# The demo's main command. runit started the services before it, and stops
# them all, gracefully, when it exits; runit then exits with its code.
set -u
names="hello web ticker crashy forking idle"
# runit starts this once every service has its runsv; wait for web to say
# it is ready (web/notification-fd).
sv -w 10 start web >/dev/null || echo "web did not become ready in 10 s"
cat <<EOT

gorunit demo: runit supervises $SVDIR, this script is its main command.
In another terminal, try:

  export SVDIR=$SVDIR PATH=${DEMO_BIN:-bin}:\$PATH
  sv status $names
  sv -w 10 restart web         # waits until web says it is ready again
  sv up crashy                 # skip crashy's backoff wait
  sv -v up idle                # start a normally-down service
  sv -j status web             # the same, as JSON
  tail -f $SVDIR/hello/log/current

Current status:
EOT
sv status $names
echo
if [ -n "${DEMO_SECONDS:-}" ]; then
	sleep "$DEMO_SECONDS"
	sv status $names
	echo
	echo "main command: exiting with code 3; runit stops every service and exits 3"
	exit 3
fi
echo "Press Ctrl-C: runit passes it to this script, then stops every service."
trap 'echo; echo "main command: interrupted, exiting with code 130"; exit 130' INT TERM
while :; do sleep 1; done
