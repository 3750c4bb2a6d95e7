#!/usr/bin/env bash
# Runs every fuzz target built by `make fuzz-build` for a few seconds over its named corpus.
# Exit 77 (skipped) when the fuzz build is absent, e.g. in a build without clang.
set -u
dir=${BULKHEAD_FUZZ_DIR:-}
corpus=$(cd "$(dirname "$0")" && pwd)/corpus
if [ -z "$dir" ] || ! ls "$dir"/fuzz_* >/dev/null 2>&1; then
  echo "skipped: no fuzz targets built (run 'make fuzz-build'; needs clang)"
  exit 77
fi
status=0
for target in "$dir"/fuzz_*; do
  [ -x "$target" ] || continue
  name=$(basename "$target")
  work=$(mktemp -d)
  seeds=()
  [ -d "$corpus/$name" ] && seeds+=("$corpus/$name")
  echo "== $name (${FUZZ_SMOKE_SECONDS:-10}s)"
  if ! "$target" -max_total_time="${FUZZ_SMOKE_SECONDS:-10}" -artifact_prefix="$work/" \
        "$work" "${seeds[@]}" >"$work/log" 2>&1; then
    tail -n 40 "$work/log"
    status=1
  else
    grep -E '^Done|stat::' "$work/log" | tail -n 1
  fi
  rm -rf "$work"
done
exit $status
