#!/usr/bin/env bash
# The benchmark: setup, then each peer in turn (one server running at a time): start, check,
# measure every workload with wrk, stop; then the markdown table in bench/output/results.md.
#
#   bench/run.sh                    full mode: per cell 3 runs of 10 s, each on a fresh server
#                                   after a 3 s warm-up, the peers' runs interleaved; median
#   BENCH_MODE=quick bench/run.sh   per cell one server, a 1 s warm-up, 3 runs of 2 s (~4 min)
#
# Settings (environment): BENCH_PEERS ("bulkhead nginx lighttpd apache-itk apache-prefork"),
# BENCH_WORKLOADS, BENCH_RUNS, BENCH_DURATION (s), BENCH_WARMUP (s), BENCH_CONNECTIONS (50),
# BENCH_THREADS (wrk threads, 1), BENCH_INTERLEAVE (0/1), BENCH_SKIP_SETUP=1,
# BENCH_TIME_LIMIT (s, whole run), BENCH_PORT_BASE (18080: peers on +1..+5), BENCH_WORK
# (bench/output), BENCH_KEEP_BINARIES=1 (measure bench/output/bin as it is), BUILD.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"

MODE=${BENCH_MODE:-full}
case $MODE in
quick) RUNS=${BENCH_RUNS:-3} DURATION=${BENCH_DURATION:-2} WARMUP=${BENCH_WARMUP:-1} TIME_LIMIT=${BENCH_TIME_LIMIT:-900} INTERLEAVE=${BENCH_INTERLEAVE:-0} ;;
full) RUNS=${BENCH_RUNS:-3} DURATION=${BENCH_DURATION:-10} WARMUP=${BENCH_WARMUP:-3} TIME_LIMIT=${BENCH_TIME_LIMIT:-3600} INTERLEAVE=${BENCH_INTERLEAVE:-1} ;;
*) die "BENCH_MODE is quick or full, not '$MODE'" ;;
esac
CONNECTIONS=${BENCH_CONNECTIONS:-50}
THREADS=${BENCH_THREADS:-1}
read -r -a RUN_PEERS <<<"${BENCH_PEERS:-${PEERS[*]}}"

# workload: path, extra header ("" or Connection: close), needs PHP
WORKLOADS_ALL=(static-1k-keepalive static-1k-close static-100k-keepalive php-keepalive php-close)
read -r -a WORKLOADS <<<"${BENCH_WORKLOADS:-${WORKLOADS_ALL[*]}}"
declare -A W_PATH=([static-1k-keepalive]=/1k.html [static-1k-close]=/1k.html
  [static-100k-keepalive]=/100k.html [php-keepalive]=/hello.php [php-close]=/hello.php)
declare -A W_CLOSE=([static-1k-keepalive]=0 [static-1k-close]=1 [static-100k-keepalive]=0
  [php-keepalive]=0 [php-close]=1)
declare -A PEER_HAS_PHP=([bulkhead]=${BENCH_BULKHEAD_PHP:-1} [nginx]=1 [lighttpd]=1 [apache-itk]=1 [apache-prefork]=1)

[[ $(id -u) == 0 ]] || die "run as root: the servers switch to the sites' users"
START=$SECONDS
RESULTS=$WORK/results
current=""
cleanup() {
  local rc=$?
  if [[ -n $current ]]; then
    log "stopping $current"
    "$BENCH_DIR/peers/$current.sh" stop || true
  fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [[ ${BENCH_SKIP_SETUP:-0} != 1 ]]; then
  timeout 2400 "$BENCH_DIR/setup.sh"
fi
rm -rf "$RESULTS"
install -d -m 0755 "$RESULTS"

# the machine, and what else runs on it
{
  echo "mode=$MODE runs=$RUNS duration=${DURATION}s warmup=${WARMUP}s connections=$CONNECTIONS threads=$THREADS interleaved=$INTERLEAVE"
  echo "date=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "nproc=$(nproc)"
  echo "kernel=$(uname -sr)"
  echo "cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
  echo "memory=$(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
  echo "os=$(. /etc/os-release && echo "$PRETTY_NAME")"
  echo "bulkhead=$(git -C "$REPO_DIR" describe --always --dirty 2>/dev/null || echo unknown) ($BUILD_DIR)"
  echo "nginx=$(nginx -v 2>&1 | sed 's/.*version: //')"
  echo "lighttpd=$(lighttpd -v 2>&1 | head -n1 | awk '{print $1}')"
  echo "apache=$(apache2 -v 2>&1 | sed -n 's/^Server version: //p')"
  echo "php=$("$PHP_FPM_BIN" -v 2>/dev/null | head -n1 | awk '{print $2}')"
  echo "wrk=$(wrk -v 2>&1 | head -n1 | awk '{print $2}')"
} >"$RESULTS/machine.txt"

time_left() { ((SECONDS - START < TIME_LIMIT)); }

# run_wrk PEER WORKLOAD SECONDS OUTFILE [SAMPLE_OUT]
run_wrk() {
  local peer=$1 w=$2 seconds=$3 out=$4 sample=${5:-} sampler="" port=${PEER_PORT[$1]}
  local args=(-t"$THREADS" -c"$CONNECTIONS" -d"${seconds}s" --timeout 5s --latency
              -s "$BENCH_DIR/lib/report.lua" -H "Host: $(site_host alpha)")
  ((W_CLOSE[$w])) && args+=(-H "Connection: close")
  if [[ -n $sample ]]; then
    "$PY" "$BENCH_DIR/lib/procstat.py" --sample $((seconds + 5)) "${UIDS[@]}" --out "$sample" $(cat "$(peer_pidfile "$peer")") &
    sampler=$!
  fi
  timeout $((seconds + 30)) wrk "${args[@]}" "http://127.0.0.1:$port${W_PATH[$w]}" >"$out" 2>&1 || true
  if [[ -n $sampler ]]; then kill -TERM "$sampler" 2>/dev/null || true; wait "$sampler" 2>/dev/null || true; fi
}

# peer_alive PEER: every process the peer's script started still runs
peer_alive() {
  local pid pidfile
  pidfile=$(peer_pidfile "$1")
  [[ -s $pidfile ]] || return 1
  while read -r pid; do alive "$pid" || return 1; done <"$pidfile"
}

stop_current() {
  [[ -n $current ]] || return 0
  timeout 90 "$BENCH_DIR/peers/$current.sh" stop || log "stopping $current failed"
  current=""
}

# start_checked PEER WDIR RUN: start the peer and check it; on failure the status says why
# (the peer's status if it never came up, else the workload's)
start_checked() {
  local peer=$1 wdir=$2 r=$3 pdir=$RESULTS/$1 status_file
  status_file=$pdir/status
  [[ -f $pdir/idle.json ]] && status_file=$wdir/notes
  current=$peer
  if ! timeout 120 "$BENCH_DIR/peers/$peer.sh" start >"$wdir/start$r.log" 2>&1; then
    cat "$wdir/start$r.log" >&2
    echo "run $r: did not start (see ${wdir#$REPO_DIR/}/start$r.log)" >>"$status_file"
    stop_current
    return 1
  fi
  if ! timeout 60 "$BENCH_DIR/peers/$peer.sh" check >"$wdir/check$r.log" 2>&1; then
    cat "$wdir/check$r.log" >&2
    echo "run $r: failed its check (see ${wdir#$REPO_DIR/}/check$r.log)" >>"$status_file"
    stop_current
    return 1
  fi
  if [[ -f $RESULTS/$peer/idle.json ]]; then sleep 0.2; else sleep 1; fi # settle: idle memory is measured after the first start
}

UIDS=(--uid "${SITE_UID[alpha]}" --uid "${SITE_UID[beta]}" --uid "$(id -u "$SHARED_USER")" --uid "$DISPATCH_UID" --uid 0)

# The order of the measurements. Interleaved (full mode): for each workload, run r of every
# peer is measured before run r+1 of any, each on a freshly started and checked server, so a
# change of the machine's load over time hits every peer alike. Not interleaved (quick mode):
# per workload each peer is started once, warmed up, and runs its runs back to back.
# Either way every workload starts a fresh server: nothing one workload leaves behind (such as
# Apache's lingering closes) slows the next.
JOBS=() # "workload peer run"
for w in "${WORKLOADS[@]}"; do
  if ((INTERLEAVE)); then
    for ((r = 1; r <= RUNS; r++)); do for peer in "${RUN_PEERS[@]}"; do JOBS+=("$w $peer $r"); done; done
  else
    for peer in "${RUN_PEERS[@]}"; do for ((r = 1; r <= RUNS; r++)); do JOBS+=("$w $peer $r"); done; done
  fi
done

# bulkhead's executables: one snapshot of the build for the whole run
# (BENCH_KEEP_BINARIES=1 and bench/output/bin filled: measure that snapshot again, e.g. to repeat
# a workload with the executables of an earlier run)
if [[ " ${RUN_PEERS[*]} " == *" bulkhead "* ]]; then
  [[ ${BENCH_KEEP_BINARIES:-0} == 1 && -x $WORK/bin/bulkhead ]] || timeout 150 "$BENCH_DIR/peers/bulkhead.sh" install
  export BENCH_KEEP_BINARIES=1
  echo "bulkhead_sha256=$(cat "$WORK"/bin/bulkhead "$WORK"/bin/bulkhead-dispatcher "$WORK"/bin/bulkhead-worker | sha256sum | cut -c1-12)" >>"$RESULTS/machine.txt"
fi

declare -A FAILED=() CELL_FAILED=()
for peer in "${RUN_PEERS[@]}"; do
  [[ -x $BENCH_DIR/peers/$peer.sh ]] || die "no peer script bench/peers/$peer.sh"
  install -d "$RESULTS/$peer"
done
for ((j = 0; j < ${#JOBS[@]}; j++)); do
  read -r w peer r <<<"${JOBS[j]}"
  read -r next_w next_peer _ <<<"${JOBS[j + 1]:-- - -}"
  pdir=$RESULTS/$peer
  wdir=$pdir/$w
  install -d "$wdir"
  [[ -n ${FAILED[$peer]:-} || -n ${CELL_FAILED["$peer $w"]:-} ]] && continue
  if [[ $w == php-* && ${PEER_HAS_PHP[$peer]} == 0 ]]; then
    echo "n/a (BENCH_BULKHEAD_PHP=0)" >"$wdir/status"; continue
  fi
  if ! time_left; then
    [[ -f $wdir/status ]] || echo "skipped: time limit of ${TIME_LIMIT}s reached" >"$wdir/status"
    stop_current
    continue
  fi
  if [[ $current != "$peer" ]]; then
    stop_current
    "$BENCH_DIR/lib/stop-services.sh"
    for other in "${PEERS[@]}"; do # only one server at a time
      [[ -f $(peer_pidfile "$other") ]] && "$BENCH_DIR/peers/$other.sh" stop
    done
    if ! start_checked "$peer" "$wdir" "$r"; then
      if [[ ! -f $pdir/idle.json ]]; then FAILED[$peer]=1; fi # never came up: not measured
      CELL_FAILED["$peer $w"]=1 # the rest of this cell's runs are skipped
      continue
    fi
    if [[ ! -f $pdir/idle.json ]]; then
      echo ok >"$pdir/status"
      "$PY" "$BENCH_DIR/lib/procstat.py" --stats "${UIDS[@]}" $(cat "$(peer_pidfile "$peer")") >"$pdir/idle.json"
    fi
    log "$w: $peer: warm-up ${WARMUP}s"
    run_wrk "$peer" "$w" "$WARMUP" "$wdir/warmup$r.txt"
  fi
  log "$w: $peer: run $r/$RUNS, ${DURATION}s"
  cut -d' ' -f1 /proc/loadavg >"$wdir/loadavg$r"
  run_wrk "$peer" "$w" "$DURATION" "$wdir/run$r.txt" "$wdir/load$r.json"
  grep -q '^BENCH_JSON' "$wdir/run$r.txt" || log "$peer $w run $r: wrk gave no result: $(tail -n2 "$wdir/run$r.txt" | tr '\n' ' ')"
  echo measured >"$wdir/status"
  if ! peer_alive "$peer"; then
    why=$("$BENCH_DIR/peers/$peer.sh" why 2>/dev/null || true)
    echo "run $r: the server died during the run${why:+: $why}" >>"$wdir/notes"
    log "$peer $w: $(tail -n1 "$wdir/notes")"
    stop_current
  elif ((INTERLEAVE)) || [[ $next_w != "$w" || $next_peer != "$peer" ]]; then
    stop_current
  fi
done
stop_current

"$PY" "$BENCH_DIR/lib/report.py" "$RESULTS" "${RUN_PEERS[*]}" "${WORKLOADS[*]}" >"$WORK/results.md"
cat "$WORK/results.md"
log "done in $((SECONDS - START)) s; table in $WORK/results.md, raw wrk output in $RESULTS/"
