#!/usr/bin/env bash
# Scale benchmark: bulkhead with many sites (1,000, then 10,000 if memory allows), each with its
# own uid/gid and document root, on-demand pools (workers = { min = 0, max = 1 }: no process
# for a site until its first request) and a FastCGI pool (php-cgi, processes = 1, spawned by
# the site's worker when it starts). Measures, per site count:
#   - start-up: from exec of the master until the dispatcher logs "serving" (log timestamps)
#   - RSS of the master and the dispatcher, and RSS/PSS summed over the tree, at idle
#   - the first request to 200 cold sites, static (GET /1k.html, 1,024 bytes), then the first
#     request to 200 other cold sites, PHP (GET /hello.php through the site's php-cgi); each
#     site once, sequentially, a new connection each, timed with a monotonic clock from
#     connect() to the last byte (bench/lib/firstreq.py, which also checks, outside the timed
#     span, that no process ran as the site's uid before its request); then the same sites
#     once more (second request, worker running) for comparison; these cold starts come back to
#     back, a burst. After the PHP ones, the first request to 200 more cold sites, static, one at a time
#     (SCALE_GAP_MS apart, so that each finds the server idle, as a visitor to a site nobody has
#     visited for a while does)
#   - the tree after those 600 cold starts, and the graceful stop
# The open-file limit is left to bulkhead's master (it raises its soft limit to the hard one,
# and refuses to start if even that is too small): the script starts bulkhead with a soft limit
# of 1,024, as from a login shell; when the hard limit is too small for N sites the refusal is
# recorded, the hard limit is raised (as LimitNOFILE= would) and bulkhead started again.
#
#   bench/scale.sh     SCALE_SITES="1000 10000" SCALE_COLD=200 SCALE_PORT=18086
#                      SCALE_PHP=1 (0: no [site.fastcgi], static cold starts only)
#                      SCALE_GAP_MS=100 (pause before each one-at-a-time cold start)
#                      SCALE_NOFILE_SOFT=1024 SCALE_RAISE_HARD=1 (where the hard limit cannot
#                      be raised, the most sites it allows are measured instead)
#                      SCALE_MIN_FREE_MIB=4096 (a count above 1,000 runs only with this much
#                      memory available) SCALE_TIME_LIMIT=1500 (s; later counts are skipped)
#                      SCALE_FALLBACK_SITES=200 (if the first count fails)
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"

read -r -a COUNTS <<<"${SCALE_SITES:-1000 10000}"
COLD=${SCALE_COLD:-200}
FALLBACK=${SCALE_FALLBACK_SITES:-200}
PORT=${SCALE_PORT:-18086}
UID_BASE=${SCALE_UID_BASE:-41000} # site i runs as uid/gid UID_BASE + i (no passwd entry needed)
START_LIMIT=${SCALE_START_LIMIT:-180}
GAP_MS=${SCALE_GAP_MS:-100} # between the requests of the one-at-a-time cold starts
SCALE_PHP=${SCALE_PHP:-1}
NOFILE_SOFT=${SCALE_NOFILE_SOFT:-1024}
RAISE_HARD=${SCALE_RAISE_HARD:-1}
MIN_FREE_MIB=${SCALE_MIN_FREE_MIB:-4096}
TIME_LIMIT=${SCALE_TIME_LIMIT:-1500}
PHP_CGI=$(command -v php-cgi || echo /usr/bin/php-cgi)
dir=$WORK/scale
out=$dir/results.md

[[ $(id -u) == 0 ]] || die "run as root"
command -v python3 >/dev/null || die "python3 missing: run bench/setup.sh"
[[ $SCALE_PHP == 0 || -x $PHP_CGI ]] || die "php-cgi missing: run bench/setup.sh"
ulimit -Sn "$NOFILE_SOFT" || die "cannot set the soft RLIMIT_NOFILE to $NOFILE_SOFT"
pid=""
cleanup() {
  local rc=$?
  [[ -n $pid ]] && stop_tree QUIT 30 "$pid"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# a consistent snapshot of the build directory in bench/output/bin; BENCH_KEEP_BINARIES=1 keeps
# the snapshot the main benchmark measured
[[ ${BENCH_KEEP_BINARIES:-0} == 1 && -x $WORK/bin/bulkhead ]] || timeout 150 "$BENCH_DIR/peers/bulkhead.sh" install
getent passwd "$DISPATCH_UID" >/dev/null || "$BENCH_DIR/setup.sh"

ms_now() { date +%s%3N; }
log_ms() { date -u -d "$1" +%s%3N; } # a log line's timestamp (2026-11-23T04:01:48.836Z) in ms

# site_pids N: processes running as one of the N sites' uids
site_pids() {
  ps -eo pid=,uid= | awk -v lo="$UID_BASE" -v hi=$((UID_BASE + $1)) '$2 >= lo && $2 < hi {print $1}' | tr '\n' ' ' | sed 's/ *$//'
}

# generate N RDIR: document roots and configuration (Python: 10,000 sites in seconds)
generate() {
  "$PY" - "$1" "$2" "$UID_BASE" "$PORT" "$DISPATCH_UID" "$SCALE_PHP" "$PHP_CGI" <<'PYEOF'
import os, sys
n, rdir, base, port, disp, php, php_cgi = sys.argv[1:]
n, base = int(n), int(base)
width = max(4, len(str(n - 1)))
conf = [f'[server]\nlisten = ["127.0.0.1:{port}"]\nuser = {disp}\ngroup = {disp}\n'
        f'state_dir = "{rdir}/state"\nlog_dir = "{rdir}/log"\nshutdown_timeout = "20s"\n']
for i in range(n):
    name, uid = f"s{i:0{width}d}", base + i
    root = f"{rdir}/sites/{name}"
    os.mkdir(root, 0o755)
    head = f"<!-- site {name} -->\n".encode()
    with open(f"{root}/1k.html", "wb") as f:
        f.write(head + b"x" * (1024 - len(head) - 1) + b"\n")
    with open(f"{root}/hello.php", "w") as f:
        f.write('<?php echo "hello from uid ", posix_getuid(), "\\n";\n')
    for p in (root, f"{root}/1k.html", f"{root}/hello.php"):
        os.chown(p, uid, uid)
        os.chmod(p, 0o755 if p == root else 0o644)
    conf.append(f'\n[[site]]\nname = "{name}"\nhosts = ["{name}.scale.test"]\nuser = {uid}\ngroup = {uid}\n'
                f'root = "{root}"\nindex = ["1k.html"]\nworkers = {{ min = 0, max = 1 }}\n')
    if php == "1":
        conf.append(f'\n[site.fastcgi]\nextensions = [".php"]\ncommand = ["{php_cgi}"]\nprocesses = 1\n')
with open(f"{rdir}/bulkhead.toml", "w") as f:
    f.write("".join(conf))
print(width)
PYEOF
}

# firstreq OUT ARGS...: bench/lib/firstreq.py against the scale port, bounded in time; OUT
# gets its JSON (or a failure record)
firstreq() {
  local o=$1; shift
  if ! timeout 600 "$PY" "$BENCH_DIR/lib/firstreq.py" --port "$PORT" "$@" >"$o" || [[ ! -s $o ]]; then
    echo '{"requests": 0, "ok": 0, "failed": 1, "failures": ["firstreq.py failed or took more than 600 s"], "not_cold": 0}' >"$o"
  fi
}

# start_bulkhead CONF LOG: start, wait for "serving"; sets pid; fails if it does not serve
start_bulkhead() {
  local conf=$1 log=$2
  port_free "$PORT" || die "port $PORT is in use"
  pid=$(start_bg "$log" "$WORK/bin/bulkhead" run -c "$conf")
  wait_file_match "$log" 'dispatcher\[[0-9]+\] info: serving' "$START_LIMIT" "$pid"
}

# stop_after_failure N: stop the master, and any site process that outlives it
stop_after_failure() {
  local n=$1 left deadline=$((SECONDS + 15)) p
  [[ -n $pid ]] && stop_tree QUIT 30 "$pid"
  pid=""
  while left=$(site_pids "$n") && [[ -n $left ]] && ((SECONDS < deadline)); do sleep 0.2; done
  if [[ -n $left ]]; then
    echo "$(wc -w <<<"$left") site processes outlived the master by more than 15 s; killed." >>"$out"; echo >>"$out"
    for p in $left; do kill -KILL "$p" 2>/dev/null || true; done
  fi
}

# run_scale N: one measurement; appends its section to $out; fails if bulkhead did not serve
run_scale() {
  local n=$1 rdir conf log width needed t0 t_serving line i
  rdir=$dir/n$n
  rm -rf "$rdir"
  install -d -m 0755 "$rdir" "$rdir/sites" "$rdir/state" "$rdir/log"
  # ids must be free (not someone else's): checked against the passwd and group files
  if awk -F: -v lo="$UID_BASE" -v hi=$((UID_BASE + n)) '$3 >= lo && $3 < hi {found=1} END {exit !found}' /etc/passwd /etc/group; then
    die "some id in $UID_BASE..$((UID_BASE + n - 1)) belongs to an existing user or group: set SCALE_UID_BASE"
  fi
  [[ -z $(site_pids "$n") ]] || die "processes run as uids $UID_BASE..$((UID_BASE + n - 1)) already: not cold"
  log "scale: $n sites: generating"
  width=$(generate "$n" "$rdir")
  conf=$rdir/bulkhead.toml
  "$WORK/bin/bulkhead" check -c "$conf" >"$rdir/check.log" 2>&1 || { tail -5 "$rdir/check.log" >&2; die "bulkhead check rejects $conf"; }

  echo "## $n sites, workers = { min = 0, max = 1 }$([[ $SCALE_PHP == 1 ]] && echo ", php-cgi processes = 1")" >>"$out"
  echo >>"$out"
  # what the master will need (64 + listeners + per site 2 + 2 per worker), against the hard limit
  needed=$((64 + 1 + n * 4))
  if (($(ulimit -Hn) < needed)); then
    log "scale: $n sites: hard RLIMIT_NOFILE $(ulimit -Hn) < $needed: expecting bulkhead to refuse"
    if start_bulkhead "$conf" "$rdir/refused.log"; then
      echo "- hard RLIMIT_NOFILE $(ulimit -Hn) is below the $needed descriptors $n sites need, yet bulkhead started." >>"$out"
      stop_after_failure "$n"
    else
      sleep 0.2
      line=$(grep -m1 -i 'limit' "$rdir/refused.log" || tail -n1 "$rdir/refused.log")
      echo "- with the hard RLIMIT_NOFILE at $(ulimit -Hn), bulkhead $(alive "$pid" && echo "did not serve within ${START_LIMIT} s" || echo "exited at once"), saying: \`$line\`" >>"$out"
      stop_after_failure "$n"
    fi
    FIT_N=$(((($(ulimit -Hn) - 65) / 4) / 100 * 100)) # the most sites this hard limit allows
    if [[ $RAISE_HARD != 1 ]]; then echo >>"$out"; return 3; fi
    if ! (ulimit -Hn $((needed + 4096))) 2>/dev/null; then
      echo "- the script cannot raise the hard limit either (no CAP_SYS_RESOURCE here: \`ulimit -Hn $((needed + 4096))\` is not permitted); measured instead: the most sites the limit allows, $FIT_N." >>"$out"
      echo >>"$out"
      return 3
    fi
    ulimit -Hn $((needed + 4096))
    echo "- the script raised the hard limit to $(ulimit -Hn) (the soft one stays $(ulimit -Sn): the master raises it itself) and started bulkhead again:" >>"$out"
    echo >>"$out"
  fi

  log "scale: $n sites: starting (RLIMIT_NOFILE soft $(ulimit -Sn), hard $(ulimit -Hn))"
  log=$rdir/stderr.log
  t0=$(ms_now)
  if ! start_bulkhead "$conf" "$log"; then
    {
      echo "**FAILED:** $(if alive "$pid"; then echo "bulkhead did not say serving within ${START_LIMIT} s."; else echo "bulkhead exited before serving."; fi)"
      echo
      echo '```'
      grep -v 'info: started worker' "$log" | tail -n 15
      echo '```'
      echo
    } >>"$out"
    log "scale: $n sites: bulkhead did not serve (see $log)"
    stop_after_failure "$n"
    return 1
  fi
  line=$(grep -m1 -E 'dispatcher\[[0-9]+\] info: serving' "$log")
  t_serving=$(($(log_ms "${line%% *}") - t0))
  local dispatcher_pid master_soft
  dispatcher_pid=$(grep -oE 'dispatcher\[[0-9]+\] info: serving' <<<"$line" | grep -oE '[0-9]+')
  master_soft=$(awk '/Max open files/ {print $4}' "/proc/$pid/limits")
  sleep 2 # settle before measuring memory
  local master_rss dispatcher_rss idle_json master_fds site_procs_idle
  master_rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
  dispatcher_rss=$(awk '/VmRSS/ {print $2}' "/proc/$dispatcher_pid/status" 2>/dev/null || echo 0)
  idle_json=$("$PY" "$BENCH_DIR/lib/procstat.py" --stats "$pid")
  master_fds=$(ls "/proc/$pid/fd" | wc -l)
  site_procs_idle=$(site_pids "$n" | wc -w)

  # cold sites: static ones at i*n/cold, PHP ones half-way between them, and (where there
  # are enough sites) static ones a quarter of the way, requested one at a time (disjoint sets)
  local static_sites="" php_sites="" isolated_sites="" s cold=$COLD
  ((2 * cold <= n)) || cold=$((n / 2))
  for ((i = 0; i < cold; i++)); do
    s=$((i * n / cold)); static_sites+=" $(printf "s%0${width}d:%d" "$s" $((UID_BASE + s)))"
    s=$((i * n / cold + n / (2 * cold))); php_sites+=" $(printf "s%0${width}d:%d" "$s" $((UID_BASE + s)))"
    s=$((i * n / cold + n / (4 * cold))); isolated_sites+=" $(printf "s%0${width}d:%d" "$s" $((UID_BASE + s)))"
  done
  log "scale: $n sites: first request to $cold cold sites, static, back to back"
  firstreq "$rdir/cold-static.json" --path /1k.html --expect 'site {name}' --size 1024 --cold $static_sites
  firstreq "$rdir/warm-static.json" --path /1k.html --expect 'site {name}' --size 1024 $static_sites
  if [[ $SCALE_PHP == 1 ]]; then
    log "scale: $n sites: first request to $cold cold sites, PHP"
    firstreq "$rdir/cold-php.json" --path /hello.php --expect 'hello from uid {uid}' --cold $php_sites
    firstreq "$rdir/warm-php.json" --path /hello.php --expect 'hello from uid {uid}' $php_sites
  else
    echo '{}' >"$rdir/cold-php.json"; echo '{}' >"$rdir/warm-php.json"
  fi
  if ((n >= 4 * cold)); then
    log "scale: $n sites: first request to $cold other cold sites, static, one at a time ($GAP_MS ms apart)"
    firstreq "$rdir/cold-static-isolated.json" --path /1k.html --expect 'site {name}' --size 1024 \
      --gap-ms "$GAP_MS" --cold $isolated_sites
  else
    echo '{}' >"$rdir/cold-static-isolated.json"
  fi
  sleep 1
  local after_json
  after_json=$("$PY" "$BENCH_DIR/lib/procstat.py" --stats "$pid")
  local site_procs_after
  site_procs_after=$(site_pids "$n" | wc -w)

  # graceful stop: SIGTERM to the master, time until it has exited (after its children);
  # whatever of the tree is left after 60 s is killed
  local t1 t_stop tree_before p
  tree_before=$(tree_pids "$pid")
  t1=$(ms_now)
  kill -TERM "$pid" 2>/dev/null || true
  while alive "$pid" && (($(ms_now) - t1 < 60000)); do sleep 0.05; done
  t_stop=$(($(ms_now) - t1))
  alive "$pid" && t_stop="more than 60000"
  for p in $tree_before; do alive "$p" && { kill -KILL "$p" 2>/dev/null || true; }; done
  pid=""
  "$PY" - "$n" "$t_serving" "$master_rss" "$dispatcher_rss" "$idle_json" "$master_fds" "$master_soft" \
    "$site_procs_idle" "$rdir" "$after_json" "$site_procs_after" "$t_stop" "$cold" >>"$out" <<'PYEOF'
import json, sys
(n, serving, master, disp, idle, fds, soft, procs_idle, rdir, after, procs_after, stop, cold) = sys.argv[1:]
idle, after = json.loads(idle), json.loads(after)
res = {k: json.load(open(f"{rdir}/{k}.json"))
       for k in ("cold-static", "warm-static", "cold-static-isolated", "cold-php", "warm-php")}
mib = lambda k: f"{int(k) / 1024:.1f} MiB"
n = int(n)
print("| measure | value |")
print("| --- | ---: |")
print(f"| start-up until the dispatcher says serving | {int(serving)} ms |")
print(f"| processes at idle (all: master, dispatcher; of the sites) | {idle['processes']}; {procs_idle} |")
print(f"| RSS of the master, idle | {mib(master)} ({int(master) / n:.1f} KiB per site) |")
print(f"| RSS of the dispatcher, idle | {mib(disp)} |")
print(f"| RSS / PSS, sum over the tree, idle | {mib(idle['rss_kib'])} / {mib(idle['pss_kib'])} |")
print(f"| descriptors held by the master, idle (its soft limit) | {fds} ({soft}) |")
target = {"cold-static": 20, "cold-static-isolated": 20, "cold-php": 150}
for key, label in (("cold-static", "first request, cold site, static 1 KiB, back to back"),
                   ("warm-static", "second request, same sites, static 1 KiB"),
                   ("cold-php", "first request, cold site, PHP hello world"),
                   ("warm-php", "second request, same sites, PHP hello world"),
                   ("cold-static-isolated", "first request, cold site, static 1 KiB, one at a time")):
    r = res[key]
    if not r:
        continue
    if "median_ms" in r:
        text = f"{r['median_ms']:.1f} / {r['p90_ms']:.1f} / **{r['p99_ms']:.1f}** / {r['max_ms']:.1f} ms"
    else:
        text = "no successful request"
    extra = []
    if r.get("failed"):
        extra.append(f"{r['failed']} failed: " + "; ".join(r["failures"]))
    if r.get("not_cold"):
        extra.append(f"{r['not_cold']} sites were not cold")
    if key in target and "p99_ms" in r:
        extra.append(f"target p99 < {target[key]} ms: {'met' if r['p99_ms'] < target[key] and not r.get('failed') else 'missed'}")
    print(f"| {label}, {r['requests']} sites: median / p90 / p99 / max | {text}{' (' + '; '.join(extra) + ')' if extra else ''} |")
starts = sum(1 for k in ("cold-static", "cold-static-isolated", "cold-php") if res[k]) * int(cold)
print(f"| after the {starts} cold starts: processes (of the sites) | {after['processes']} ({procs_after}) |")
print(f"| after the cold starts: RSS / PSS, sum over the tree | {mib(after['rss_kib'])} / {mib(after['pss_kib'])} |")
print(f"| graceful stop (SIGTERM until the master exits) | {stop} ms |")
print()
summary = {"sites": n, "serving_ms": int(serving), "master_rss_kib": int(master), "dispatcher_rss_kib": int(disp),
           "idle": idle, "after": after, "stop_ms": stop,
           **{k: {x: v for x, v in r.items() if x != "latencies_ms"} for k, r in res.items()}}
json.dump(summary, open(f"{rdir}/summary.json", "w"), indent=1)
PYEOF
  return 0
}

START=$SECONDS
rm -rf "$dir"
install -d -m 0755 "$dir"
{
  echo "# bulkhead scale benchmark"
  echo
  echo "- date: $(date -u +%Y-%m-%dT%H:%M:%SZ); machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')), $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo), $(uname -sr)"
  echo "- bulkhead $(git -C "$REPO_DIR" describe --always --dirty 2>/dev/null || echo unknown), executables sha256 $(cat "$WORK"/bin/bulkhead "$WORK"/bin/bulkhead-dispatcher "$WORK"/bin/bulkhead-worker | sha256sum | cut -c1-12); every site: workers = { min = 0, max = 1 }$([[ $SCALE_PHP == 1 ]] && echo ", [site.fastcgi] php-cgi with processes = 1")"
  echo "- started with RLIMIT_NOFILE soft $(ulimit -Sn), hard $(ulimit -Hn); load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "- timing: each cold site requested once, sequentially, a new connection each, monotonic clock from connect() to the last byte; the static, the PHP and the one-at-a-time static sites are three disjoint sets of $COLD, spread over the list; one-at-a-time requests come $GAP_MS ms after the previous answer"
  echo
} >"$out"
first=1
FIT_N=0
for n in "${COUNTS[@]}"; do
  if ((SECONDS - START > TIME_LIMIT)); then
    echo "## $n sites: skipped (the time limit of ${TIME_LIMIT} s was reached)" >>"$out"; echo >>"$out"; continue
  fi
  if ((n > 1000)); then
    avail=$(awk '/MemAvailable/ {print int($2 / 1024)}' /proc/meminfo)
    if ((avail < MIN_FREE_MIB)); then
      echo "## $n sites: skipped (only $avail MiB available, fewer than $MIN_FREE_MIB)" >>"$out"; echo >>"$out"; continue
    fi
  fi
  rc=0
  run_scale "$n" || rc=$?
  if ((rc == 3 && FIT_N > 0)); then
    run_scale "$FIT_N" || true
  elif ((rc != 0 && first && FALLBACK > 0 && FALLBACK < n)); then
    echo "$n sites failed; repeated with $FALLBACK sites." >>"$out"; echo >>"$out"
    run_scale "$FALLBACK" || true
  fi
  log "scale: $n sites done, $((SECONDS - START)) s so far; load average $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "(load average after the $n-site run: $(cut -d' ' -f1-3 /proc/loadavg))" >>"$out"; echo >>"$out"
  first=0
done
cat "$out"
