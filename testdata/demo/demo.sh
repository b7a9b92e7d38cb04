#!/bin/sh
# make demo: run the demo service tree under bin/runit in the foreground,
# with testdata/demo/main.sh as the main command. Press Ctrl-C (or set
# DEMO_SECONDS=N) to end the main command: runit then stops every service
# gracefully and exits with the main command's code.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
bin=$top/bin
work=$(mktemp -d "${TMPDIR:-/tmp}/gorunit-demo.XXXXXX")
cp -R "$top/testdata/demo/services" "$work/service"
export SVDIR="$work/service"
export PATH="$bin:$PATH" DEMO_BIN="$bin" # log/run runs our svlogd, main.sh our sv

# --no-container-env: a demo must not write /etc/container_environment.
code=0
"$bin/runit" --no-container-env -t 5 -- "$top/testdata/demo/main.sh" || code=$?
rm -rf "$work"
echo "runit exited with code $code; all stopped"
