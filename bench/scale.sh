#!/usr/bin/env bash
# Scale benchmark: bulkhead with many sites (default 1,000), each with its own uid and
# document root, workers = { min = 1, max = 1 } (on-demand pools, min = 0, come later: today
# every site keeps one worker process). Measures the start-up time until the dispatcher says
# serving (and until every worker is up), the RSS of the master and the dispatcher, the total
# RSS/PSS of the tree, the first request to 200 sites, and the graceful stop time.
# If the run with SCALE_SITES sites fails, it is reported and the run is repeated with
# SCALE_FALLBACK_SITES (200) sites.
#   bench/scale.sh        SCALE_SITES=1000 SCALE_FALLBACK_SITES=200 SCALE_PORT=18086
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"

SITES_N=${SCALE_SITES:-1000}
FALLBACK=${SCALE_FALLBACK_SITES:-200}
PORT=${SCALE_PORT:-18086}
UID_BASE=${SCALE_UID_BASE:-41000} # site i runs as uid/gid UID_BASE + i (no passwd entry needed)
START_LIMIT=${SCALE_START_LIMIT:-180}
# bulkhead's master holds about 4 descriptors per site: raise the soft limit to the hard one,
# as a service unit's LimitNOFILE would (with 1024, bulkhead fails at about 200 sites)
NOFILE=${SCALE_NOFILE:-$(ulimit -Hn)}
[[ $NOFILE == unlimited ]] && NOFILE=$(cat /proc/sys/fs/nr_open)
ulimit -n "$NOFILE" || die "cannot set RLIMIT_NOFILE to $NOFILE"
dir=$WORK/scale
out=$dir/results.md

[[ $(id -u) == 0 ]] || die "run as root"
command -v python3 >/dev/null || die "python3 missing: run bench/setup.sh"
pid=""
cleanup() {
  local rc=$?
  [[ -n $pid ]] && stop_tree QUIT 30 "$pid"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# the same executables as the main benchmark: a consistent snapshot of the build directory
timeout 150 "$BENCH_DIR/peers/bulkhead.sh" install
getent passwd "$DISPATCH_UID" >/dev/null || "$BENCH_DIR/setup.sh"

ms_now() { date +%s%3N; }

# site_pids N: processes running as one of the N sites' uids
site_pids() {
  ps -eo pid=,uid= | awk -v lo="$UID_BASE" -v hi=$((UID_BASE + $1)) '$2 >= lo && $2 < hi {print $1}' | tr '\n' ' ' | sed 's/ *$//'
}

# run_scale N: one measurement; appends its section to $out; fails if bulkhead did not serve
run_scale() {
  local n=$1 i name uid rdir t0 t_serving t_all started log conf expected
  rdir=$dir/n$n
  rm -rf "$rdir"
  install -d -m 0755 "$rdir" "$rdir/sites" "$rdir/state" "$rdir/log"
  # users: ids must be free (not someone else's) — checked against the passwd and group files
  if awk -F: -v lo="$UID_BASE" -v hi=$((UID_BASE + n)) '$3 >= lo && $3 < hi {found=1} END {exit !found}' /etc/passwd /etc/group; then
    die "some id in $UID_BASE..$((UID_BASE + n - 1)) belongs to an existing user or group: set SCALE_UID_BASE"
  fi
  conf=$rdir/bulkhead.toml
  {
    echo "[server]"
    echo "listen = [\"127.0.0.1:$PORT\"]"
    echo "user = $DISPATCH_UID"
    echo "group = $DISPATCH_UID"
    echo "state_dir = \"$rdir/state\""
    echo "log_dir = \"$rdir/log\""
    echo "shutdown_timeout = \"20s\""
  } >"$conf"
  for ((i = 0; i < n; i++)); do
    name=$(printf 's%04d' "$i")
    uid=$((UID_BASE + i))
    install -d -m 0755 -o "$uid" -g "$uid" "$rdir/sites/$name"
    printf '<p>site %s</p>\n' "$name" >"$rdir/sites/$name/index.html"
    printf '\n[[site]]\nname = "%s"\nhosts = ["%s.scale.test"]\nuser = %d\ngroup = %d\nroot = "%s"\nworkers = { min = 1, max = 1 }\n' \
      "$name" "$name" "$uid" "$uid" "$rdir/sites/$name" >>"$conf"
  done
  chmod 0644 "$rdir"/sites/*/index.html
  "$WORK/bin/bulkhead" check -c "$conf" >"$rdir/check.log" 2>&1 || { tail -5 "$rdir/check.log" >&2; die "bulkhead check rejects $conf"; }

  port_free "$PORT" || die "port $PORT is in use"
  log "scale: $n sites, starting"
  log=$rdir/stderr.log
  t0=$(ms_now)
  pid=$(start_bg "$log" "$WORK/bin/bulkhead" run -c "$conf")
  if ! wait_file_match "$log" 'dispatcher\[[0-9]+\] info: serving' "$START_LIMIT" "$pid"; then
    {
      echo "## $n sites: FAILED"
      echo
      if alive "$pid"; then echo "bulkhead did not say serving within ${START_LIMIT} s."; else echo "bulkhead exited before serving."; fi
      echo
      echo '```'
      grep -v 'info: started worker' "$log" | tail -n 15
      echo '```'
      echo
    } >>"$out"
    log "scale: $n sites: bulkhead did not serve (see $log)"
    stop_tree QUIT 30 "$pid"; pid=""
    # workers it had started must follow the master: wait for them, kill what is left
    local left deadline2=$((SECONDS + 15))
    while left=$(site_pids "$n") && [[ -n $left ]] && ((SECONDS < deadline2)); do sleep 0.2; done
    if [[ -n $left ]]; then
      echo "$(wc -w <<<"$left") site processes outlived the master by more than 15 s; killed." >>"$out"; echo >>"$out"
      for p in $left; do kill -KILL "$p" 2>/dev/null || true; done
    fi
    return 1
  fi
  t_serving=$(($(ms_now) - t0))
  # every worker up: the tree holds master + dispatcher + n workers
  expected=$((n + 2))
  local deadline=$((SECONDS + START_LIMIT))
  t_all=""
  while ((SECONDS < deadline)); do
    started=$(tree_pids "$pid" | wc -l)
    if ((started >= expected)); then t_all=$(($(ms_now) - t0)); break; fi
    alive "$pid" || break
    sleep 0.05
  done
  sleep 2 # settle before measuring memory
  local master_rss dispatcher_pid dispatcher_rss tree_json first_json sample_sites t_stop master_fds
  master_rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
  dispatcher_pid=$(grep -oE 'dispatcher\[[0-9]+\] info: serving' "$log" | head -n1 | grep -oE '[0-9]+')
  dispatcher_rss=$(awk '/VmRSS/ {print $2}' "/proc/$dispatcher_pid/status" 2>/dev/null || echo 0)
  tree_json=$("$PY" "$BENCH_DIR/lib/procstat.py" --stats "$pid")
  master_fds=$(ls "/proc/$pid/fd" | wc -l)
  # first request to 200 sites spread over the whole list
  sample_sites=$(for ((i = 0; i < 200; i++)); do printf 's%04d ' $(((i * n / 200) % n)); done)
  first_json=$(timeout 300 "$PY" "$BENCH_DIR/lib/firstreq.py" "$PORT" $sample_sites)
  # graceful stop: SIGTERM to the master, time until the master has exited (it exits after
  # its children); whatever of the tree is left after 60 s is killed
  local t1 tree_before p
  tree_before=$(tree_pids "$pid")
  t1=$(ms_now)
  kill -TERM "$pid" 2>/dev/null || true
  while alive "$pid" && (($(ms_now) - t1 < 60000)); do sleep 0.05; done
  t_stop=$(($(ms_now) - t1))
  alive "$pid" && t_stop="more than 60000"
  for p in $tree_before; do alive "$p" && { kill -KILL "$p" 2>/dev/null || true; }; done
  pid=""
  "$PY" - "$n" "$t_serving" "${t_all:-}" "$master_rss" "$dispatcher_rss" "$tree_json" "$first_json" "$t_stop" "$master_fds" >>"$out" <<'PYEOF'
import json, sys
n, serving, all_up, master, disp, tree, first, stop, fds = sys.argv[1:]
tree, first = json.loads(tree), json.loads(first)
mib = lambda k: f"{int(k) / 1024:.1f} MiB"
print(f"## {n} sites, one worker each\n")
print("| measure | value |")
print("| --- | ---: |")
print(f"| start-up until the dispatcher says serving | {int(serving)} ms |")
print(f"| start-up until all {n} workers run | {str(int(all_up)) + ' ms' if all_up else 'not reached'} |")
print(f"| processes in the tree | {tree['processes']} |")
print(f"| RSS of the master | {mib(master)} |")
print(f"| RSS of the dispatcher | {mib(disp)} |")
print(f"| RSS, sum over the tree | {mib(tree['rss_kib'])} ({int(tree['rss_kib']) / max(1, int(n)) / 1024:.2f} MiB per site) |")
print(f"| PSS, sum over the tree | {mib(tree['pss_kib'])} ({int(tree['pss_kib']) / max(1, int(n)) / 1024:.2f} MiB per site) |")
print(f"| descriptors held by the master | {fds} |")
if "median_ms" in first:
    print(f"| first request to {first['requests']} sites (worker already running): median / p99 / max | "
          f"{first['median_ms']:.2f} / {first['p99_ms']:.2f} / {first['max_ms']:.2f} ms |")
print(f"| failed first requests | {first['failed']} of {first['requests']} {'; '.join(first['failures'])} |")
print(f"| graceful stop (SIGTERM until the master exits) | {stop} ms |")
print()
PYEOF
  return 0
}

rm -rf "$dir"
install -d -m 0755 "$dir"
{
  echo "# bulkhead scale benchmark"
  echo
  echo "- machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')), $(uname -sr), RLIMIT_NOFILE $(ulimit -n), load average $(cut -d' ' -f1 /proc/loadavg) at start"
  echo "- bulkhead $(git -C "$REPO_DIR" describe --always --dirty 2>/dev/null || echo unknown); workers.min = 1 for every site (on-demand pools with min = 0 come later, so the cold-site first-request latency of issue 7 cannot be measured yet)"
  echo
} >"$out"
if ! run_scale "$SITES_N"; then
  if ((FALLBACK > 0 && FALLBACK < SITES_N)); then
    echo "$SITES_N sites failed; repeated with $FALLBACK sites." >>"$out"; echo >>"$out"
    run_scale "$FALLBACK" || true
  fi
fi
cat "$out"
