#!/bin/sh
# Nightly snagscan run for cron (examples/ci/crontab). Usage:
#   snagscan-nightly.sh EXPORTS_DIR RUNS_DIR [MAIL_TO]
# RUNS_DIR/last holds the previous run (its report.json is the baseline); each run writes
# RUNS_DIR/YYYY-MM-DD and then points RUNS_DIR/last at it. Exit codes are snagscan's:
# 0 fine, 1 a new start-here snag (mailed when MAIL_TO is given), 2 an error.
set -u
exports=$1
runs=$2
mail_to=${3:-}
snagscan=${SNAGSCAN:-/usr/local/bin/snagscan}

today=$(date +%Y-%m-%d)
out="$runs/$today"
mkdir -p "$runs"

if [ -f "$runs/last/report.json" ]; then
  "$snagscan" analyze "$exports" --out "$out" --quiet --stamp \
    --baseline "$runs/last/report.json" --fail-on new+start-here
else
  "$snagscan" analyze "$exports" --out "$out" --quiet --stamp --fail-on start-here
fi
code=$?

if [ "$code" -le 1 ]; then
  ln -sfn "$today" "$runs/last"
fi
if [ "$code" -eq 1 ] && [ -n "$mail_to" ]; then
  mail -s "snagscan: new start-here snag ($today)" "$mail_to" < "$out/report.md"
fi
echo "$(date -u +%FT%TZ) snagscan exit $code, reports in $out"
exit "$code"
