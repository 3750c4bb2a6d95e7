#!/usr/bin/env bash
# The TLS benchmark: bulkhead next to nginx over HTTPS (HTTP/1.1) and HTTP/2, 1 KiB file,
# both servers with TLS for the two sites (each its own certificate, one throwaway CA).
# One server at a time on loopback: start, check over TLS, warm up, measure, stop; then the
# markdown table in bench/output/tls-results.md.
#
#   bench/tls.sh                    full mode: per cell 5 runs of 10 s after a 3 s warm-up,
#                                   each run on a freshly started server, bulkhead's and
#                                   nginx's runs interleaved; median (~11 minutes)
#   BENCH_MODE=quick bench/tls.sh   3 runs of 2 s after a 1 s warm-up, interleaved (~3 minutes)
#
# Workloads (all GET /1k.html of site alpha, SNI and Host/:authority alpha.test):
#   https-1k-keepalive  wrk -t1 -c50 over HTTPS, HTTP/1.1 keep-alive
#   h2-1k               h2load -t1 -c50 -m10 (50 connections, 10 streams each), ALPN h2
#   https-1k-close      wrk -t1 -c50 with Connection: close: a new TLS connection per request;
#                       wrk resumes with the last ticket it got, each ticket once (OpenSSL's
#                       client cache), so a server that renews no ticket on resumption gets a
#                       full handshake every other connection
#   https-1k-resume     h2load --h1 -t1 -c50 with Connection: close: a new TLS connection per
#                       request, resumed (h2load reuses its first session with either server);
#                       a fixed number of requests (BENCH_RESUME_RATE x the duration): h2load's
#                       timed mode does not stop with reconnecting HTTP/1.1 clients
# Settings (environment): BENCH_PEERS ("bulkhead nginx"), BENCH_WORKLOADS, BENCH_RUNS,
# BENCH_DURATION, BENCH_WARMUP (s), BENCH_CONNECTIONS (50), BENCH_H2_STREAMS (10),
# BENCH_INTERLEAVE (1), BENCH_RESUME_RATE (2500 requests per second of BENCH_DURATION),
# BENCH_TIME_LIMIT (s, whole run), BENCH_SKIP_SETUP=1, BENCH_PORT_BASE,
# BENCH_TLS_PORT_OFFSET (10: bulkhead 18091, nginx 18092), BENCH_TLS_KEY (ec|rsa),
# BENCH_TLS_WRK_SNI (name|ip, see lib/tls-common.sh), BENCH_MAX_LOAD (wait up to
# BENCH_LOAD_WAIT s, default 300, for the 1-minute load average to fall below it before
# starting; default 4), BENCH_KEEP_BINARIES=1, BUILD (bulkhead's build directory).
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
. "$BENCH_DIR/lib/tls-common.sh"
export BENCH_TLS=1 # the peers' scripts add their TLS configuration

MODE=${BENCH_MODE:-full}
case $MODE in
quick) RUNS=${BENCH_RUNS:-3} DURATION=${BENCH_DURATION:-2} WARMUP=${BENCH_WARMUP:-1} TIME_LIMIT=${BENCH_TIME_LIMIT:-600} ;;
full) RUNS=${BENCH_RUNS:-5} DURATION=${BENCH_DURATION:-10} WARMUP=${BENCH_WARMUP:-3} TIME_LIMIT=${BENCH_TIME_LIMIT:-2400} ;;
*) die "BENCH_MODE is quick or full, not '$MODE'" ;;
esac
INTERLEAVE=${BENCH_INTERLEAVE:-1}
CONNECTIONS=${BENCH_CONNECTIONS:-50}
STREAMS=${BENCH_H2_STREAMS:-10}
RESUME_RATE=${BENCH_RESUME_RATE:-2500}
MAX_LOAD=${BENCH_MAX_LOAD:-4}
LOAD_WAIT=${BENCH_LOAD_WAIT:-300}
read -r -a RUN_PEERS <<<"${BENCH_PEERS:-bulkhead nginx}"
WORKLOADS_ALL=(https-1k-keepalive h2-1k https-1k-close https-1k-resume)
read -r -a WORKLOADS <<<"${BENCH_WORKLOADS:-${WORKLOADS_ALL[*]}}"
for w in "${WORKLOADS[@]}"; do
  [[ " ${WORKLOADS_ALL[*]} " == *" $w "* ]] || die "unknown workload '$w' (known: ${WORKLOADS_ALL[*]})"
done
for peer in "${RUN_PEERS[@]}"; do
  [[ $peer == bulkhead || $peer == nginx ]] || die "the TLS benchmark knows bulkhead and nginx, not '$peer'"
done

[[ $(id -u) == 0 ]] || die "run as root: the servers switch to the sites' users"
START=$SECONDS
RESULTS=$WORK/tls-results
HOSTS_FILE=$TLS_DIR/hosts # wrk's /etc/hosts in its own mount namespace
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
timeout 300 "$BENCH_DIR/lib/tls-certs.sh"
for tool in wrk h2load curl openssl nginx; do command -v "$tool" >/dev/null || die "$tool is missing (bench/setup.sh installs it)"; done
printf '127.0.0.1\tlocalhost\n' >"$HOSTS_FILE"
for site in "${SITES[@]}"; do printf '127.0.0.1\t%s\n' "$(site_host "$site")" >>"$HOSTS_FILE"; done
if [[ $TLS_WRK_SNI == name ]] &&
   ! timeout 10 unshare -m sh -c 'mount --bind "$1" /etc/hosts && getent hosts "$2" >/dev/null' sh "$HOSTS_FILE" "$(site_host alpha)"; then
  die "cannot give wrk its own /etc/hosts (unshare -m and mount --bind failed); run with BENCH_TLS_WRK_SNI=ip instead"
fi

# A busy machine makes every number noise: wait a while for other work to end (then go on,
# and the load averages in the report say how busy it was).
load1() { cut -d' ' -f1 /proc/loadavg; }
deadline=$((SECONDS + LOAD_WAIT))
while awk -v l="$(load1)" -v m="$MAX_LOAD" 'BEGIN { exit !(l >= m) }' && ((SECONDS < deadline)); do
  log "load average $(load1) >= $MAX_LOAD: waiting (at most $((deadline - SECONDS)) s more) for other work to end"
  sleep 15
done

rm -rf "$RESULTS"
install -d -m 0755 "$RESULTS"
{
  echo "mode=$MODE, runs=$RUNS, duration=${DURATION}s, warm-up=${WARMUP}s, connections=$CONNECTIONS, h2 streams per connection=$STREAMS, interleaved=$INTERLEAVE"
  echo "connections=$CONNECTIONS"
  echo "streams=$STREAMS"
  echo "resume_rate=$RESUME_RATE"
  echo "date=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "nproc=$(nproc)"
  echo "kernel=$(uname -sr)"
  echo "cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
  echo "memory=$(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
  echo "os=$(. /etc/os-release && echo "$PRETTY_NAME")"
  echo "bulkhead=$(git -C "$REPO_DIR" describe --always --dirty 2>/dev/null || echo unknown) ($BUILD_DIR)"
  echo "nginx=$(nginx -v 2>&1 | sed 's/.*version: //')"
  echo "openssl=$(openssl version | awk '{print $1, $2}')"
  echo "wrk=$(wrk -v 2>&1 | head -n1 | awk '{print $2}')"
  echo "h2load=$(h2load --version | awk '{print $2}')"
  echo "certificates=$(cat "$TLS_DIR/key-type") leaf keys (ec: ECDSA P-256, rsa: RSA 2048), chain of leaf + intermediate, one certificate per site"
  if [[ $TLS_WRK_SNI == name ]]; then
    echo "sni=alpha.test (wrk runs in a mount namespace of its own whose /etc/hosts maps alpha.test to 127.0.0.1; h2load uses --connect-to)"
  else
    echo "sni=127.0.0.1 for wrk (an unknown name: alpha is the default site on both servers), alpha.test for h2load"
  fi
  # the five busiest processes over one second (top's second sample), and the load averages
  echo "busy_at_start=$(timeout 10 top -b -n2 -d1 -w 200 -o %CPU | awk '/^top -/ { n++ }
    n == 2 && /^ *[0-9]+ / { printf "%s%s %s%%", (c ? ", " : ""), $12, $9; if (++c == 5) exit }'); load average $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$RESULTS/machine.txt"

time_left() { ((SECONDS - START < TIME_LIMIT)); }

# cpu_ticks PID...: CPU time (user + system, and that of reaped children) of these processes,
# in clock ticks. Taken over the server's whole tree before and after each measured run, it
# gives the server's CPU per request, which other work on the machine hardly changes (unlike
# requests/s, which depends on how much CPU the server got).
cpu_ticks() {
  local p
  for p in "$@"; do cat "/proc/$p/stat" 2>/dev/null || true; done |
    awk '{ sub(/^.*\) /, ""); t += $12 + $13 + $14 + $15 } END { print t + 0 }'
}

# reaped_child_ticks: CPU time of the script's finished children (and theirs), clock ticks
# ($$, not $BASHPID: called in a command substitution, whose subshell has no such children)
reaped_child_ticks() {
  awk '{ sub(/^.*\) /, ""); print $14 + $15 }' "/proc/$$/stat"
}

# measure PEER WORKLOAD SECONDS OUTFILE [CLIENT_CPU_FILE]: one run of the workload's client
# against the peer; CLIENT_CPU_FILE gets the client's CPU time ("ticks ticks-per-second"): on 2
# cores the client's own cost decides how much CPU is left for the server
measure() {
  local peer=$1 w=$2 seconds=$3 out=$4 client_cpu=${5:-} port host ticks_before
  port=$(tls_port "$peer")
  host=$(site_host alpha)
  ticks_before=$(reaped_child_ticks)
  case $w in
  h2-1k | https-1k-resume)
    local requests_log=$out.log h2load_args=(-t1 -c"$CONNECTIONS" -m"$STREAMS" -D"$seconds")
    if [[ $w == https-1k-resume ]]; then
      h2load_args=(--h1 -t1 -c"$CONNECTIONS" -n$((seconds * RESUME_RATE)) -H "Connection: close")
    fi
    timeout $((seconds * 3 + 30)) h2load "${h2load_args[@]}" \
      --connect-to="127.0.0.1:$port" --log-file="$requests_log" "https://$host:$port/1k.html" >"$out" 2>&1 || true
    [[ -z $client_cpu ]] || echo "$(($(reaped_child_ticks) - ticks_before)) $(getconf CLK_TCK)" >"$client_cpu"
    "$PY" "$BENCH_DIR/lib/tls-report.py" h2load "$out" "$requests_log"
    rm -f "$requests_log"
    ;;
  https-1k-keepalive | https-1k-close)
    local args=(-t1 -c"$CONNECTIONS" -d"${seconds}s" --timeout 5s --latency -s "$BENCH_DIR/lib/report.lua")
    [[ $w == https-1k-close ]] && args+=(-H "Connection: close")
    if [[ $TLS_WRK_SNI == name ]]; then
      timeout $((seconds + 30)) unshare -m sh -c 'mount --bind "$1" /etc/hosts && shift && exec wrk "$@"' \
        sh "$HOSTS_FILE" "${args[@]}" "https://$host:$port/1k.html" >"$out" 2>&1 || true
    else
      timeout $((seconds + 30)) wrk "${args[@]}" -H "Host: $host" "https://127.0.0.1:$port/1k.html" >"$out" 2>&1 || true
    fi
    [[ -z $client_cpu ]] || echo "$(($(reaped_child_ticks) - ticks_before)) $(getconf CLK_TCK)" >"$client_cpu"
    ;;
  esac
}

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

# start_checked PEER WORKLOAD RUN: start the peer (alone), check it in the clear and over TLS
# with the workload's protocol; on failure the cell's status says why
start_checked() {
  local peer=$1 w=$2 r=$3 wdir=$RESULTS/$1/$2 proto=http/1.1 other
  [[ $w == h2-* ]] && proto=h2
  "$BENCH_DIR/lib/stop-services.sh"
  for other in "${PEERS[@]}"; do # only one server at a time
    [[ -f $(peer_pidfile "$other") ]] && "$BENCH_DIR/peers/$other.sh" stop
  done
  current=$peer
  if ! timeout 120 "$BENCH_DIR/peers/$peer.sh" start >"$wdir/start$r.log" 2>&1; then
    cat "$wdir/start$r.log" >&2
    echo "did not start (run $r; see ${wdir#"$REPO_DIR"/}/start$r.log)" >"$wdir/status"
    stop_current
    return 1
  fi
  if ! timeout 60 "$BENCH_DIR/peers/$peer.sh" check >"$wdir/check$r.log" 2>&1 ||
     ! timeout 60 "$BENCH_DIR/lib/tls-check.sh" "$peer" "$proto" "$wdir/tls-info.txt" >>"$wdir/check$r.log" 2>&1; then
    cat "$wdir/check$r.log" >&2
    local why
    why=$(grep -m1 'check ' "$wdir/check$r.log" | sed 's/^\[bench [0-9:]*\] //' || true)
    if [[ $proto == h2 && $why == *"did not agree to ALPN h2"* ]]; then
      echo "n/a: no HTTP/2 (${why})" >"$wdir/status"
    else
      echo "failed its check (run $r): ${why:-see ${wdir#"$REPO_DIR"/}/check$r.log}" >"$wdir/status"
    fi
    stop_current
    return 1
  fi
  sleep 1 # settle
}

JOBS=() # "workload peer run"
for w in "${WORKLOADS[@]}"; do
  if ((INTERLEAVE)); then
    for ((r = 1; r <= RUNS; r++)); do for peer in "${RUN_PEERS[@]}"; do JOBS+=("$w $peer $r"); done; done
  else
    for peer in "${RUN_PEERS[@]}"; do for ((r = 1; r <= RUNS; r++)); do JOBS+=("$w $peer $r"); done; done
  fi
done

# bulkhead's executables: one snapshot of the build for the whole run
if [[ " ${RUN_PEERS[*]} " == *" bulkhead "* ]]; then
  [[ ${BENCH_KEEP_BINARIES:-0} == 1 && -x $WORK/bin/bulkhead ]] || timeout 150 "$BENCH_DIR/peers/bulkhead.sh" install
  export BENCH_KEEP_BINARIES=1
  echo "bulkhead_sha256=$(cat "$WORK"/bin/bulkhead "$WORK"/bin/bulkhead-dispatcher "$WORK"/bin/bulkhead-worker | sha256sum | cut -c1-12)" >>"$RESULTS/machine.txt"
fi

declare -A CELL_DONE=() # a cell that failed to start or check is not tried again
for ((j = 0; j < ${#JOBS[@]}; j++)); do
  read -r w peer r <<<"${JOBS[j]}"
  read -r next_w next_peer _ <<<"${JOBS[j + 1]:-- - -}"
  wdir=$RESULTS/$peer/$w
  install -d "$wdir"
  [[ -n ${CELL_DONE["$peer $w"]:-} ]] && continue
  if ! time_left; then
    [[ -f $wdir/status ]] || echo "skipped: time limit of ${TIME_LIMIT}s reached" >"$wdir/status"
    stop_current
    continue
  fi
  if [[ $current != "$peer" ]]; then
    stop_current
    if ! start_checked "$peer" "$w" "$r"; then
      log "$peer, $w: $(cat "$wdir/status")"
      CELL_DONE["$peer $w"]=1
      continue
    fi
    log "$w: $peer: warm-up ${WARMUP}s"
    measure "$peer" "$w" "$WARMUP" "$wdir/warmup$r.txt"
  fi
  log "$w: $peer: run $r/$RUNS, ${DURATION}s"
  load1 >"$wdir/loadavg$r"
  # shellcheck disable=SC2046 # the pid file holds one pid a line: each its own argument
  read -r -a server_pids <<<"$(tree_pids $(cat "$(peer_pidfile "$peer")") | tr '\n' ' ')"
  ticks_before=$(cpu_ticks "${server_pids[@]}")
  measure "$peer" "$w" "$DURATION" "$wdir/run$r.txt" "$wdir/clientcpu$r"
  echo "$(($(cpu_ticks "${server_pids[@]}") - ticks_before)) $(getconf CLK_TCK) ${#server_pids[@]}" >"$wdir/cpu$r"
  grep -q '^BENCH_JSON' "$wdir/run$r.txt" || log "$peer $w run $r: no result: $(tail -n2 "$wdir/run$r.txt" | tr '\n' ' ')"
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

"$PY" "$BENCH_DIR/lib/tls-report.py" report "$RESULTS" "${RUN_PEERS[*]}" "${WORKLOADS[*]}" >"$WORK/tls-results.md"
cat "$WORK/tls-results.md"
log "done in $((SECONDS - START)) s; table in ${WORK#"$REPO_DIR"/}/tls-results.md, raw client output in ${RESULTS#"$REPO_DIR"/}/"
