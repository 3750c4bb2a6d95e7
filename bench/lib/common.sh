# Shared settings and helpers of the benchmark scripts; sourced, never run.
# Everything here is bounded in time, uses loopback only, and stops only processes that
# the benchmark started itself (by the pid it recorded).

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REPO_DIR=$(cd "$BENCH_DIR/.." && pwd)
WORK=${BENCH_WORK:-$BENCH_DIR/output}
BUILD=${BUILD:-build}
case $BUILD in /*) BUILD_DIR=$BUILD ;; *) BUILD_DIR=$REPO_DIR/$BUILD ;; esac

# The two sites: name, user, uid (gid = uid), host name.
SITES=(alpha beta)
declare -A SITE_UID=([alpha]=40201 [beta]=40202)
declare -A SITE_USER=([alpha]=bench-alpha [beta]=bench-beta)
site_host() { echo "$1.test"; }
DISPATCH_USER=bench-dispatch # bulkhead's dispatcher: a user that owns no site
DISPATCH_UID=40200
SHARED_USER=www-data # nginx, lighttpd and Apache prefork serve as this shared user

# One port per peer, all on 127.0.0.1: BENCH_PORT_BASE + 1 .. + 5 (default 18081..18085), so
# that a run can move out of the way of someone else's servers on those ports.
PORT_BASE=${BENCH_PORT_BASE:-18080}
declare -A PEER_PORT=([bulkhead]=$((PORT_BASE + 1)) [nginx]=$((PORT_BASE + 2)) [lighttpd]=$((PORT_BASE + 3))
  [apache-itk]=$((PORT_BASE + 4)) [apache-prefork]=$((PORT_BASE + 5)))
PEERS=(bulkhead nginx lighttpd apache-itk apache-prefork)

# Sizes of the processes that serve: two worker processes for the event-driven servers
# (the machine's core count), static PHP-FPM pools of this many children per site.
SERVER_WORKERS=${BENCH_SERVER_WORKERS:-2}
FPM_CHILDREN=${BENCH_FPM_CHILDREN:-4}
KEEPALIVE_REQUESTS=1000 # per connection, the same for every peer (nginx's default)

PHP_FPM_BIN=$(ls /usr/sbin/php-fpm[0-9]* 2>/dev/null | sort -V | tail -n1)
APACHE_MODULES=/usr/lib/apache2/modules
PY=/usr/bin/python3 # Debian's interpreter, whatever PATH says

log() { printf '[bench %s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# port_free PORT: true when nothing listens on 127.0.0.1:PORT
port_free() {
  ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# wait_port PORT SECONDS [PID]: wait until 127.0.0.1:PORT accepts (fails early if PID dies)
wait_port() {
  local port=$1 seconds=$2 pid=${3:-} deadline=$((SECONDS + $2))
  while ((SECONDS < deadline)); do
    if ! port_free "$port"; then return 0; fi
    if [[ -n $pid ]] && ! alive "$pid"; then return 1; fi
    sleep 0.1
  done
  return 1
}

# wait_file_match FILE REGEX SECONDS [PID]: wait until FILE has a line matching REGEX
wait_file_match() {
  local file=$1 regex=$2 pid=${4:-} deadline=$((SECONDS + $3))
  while ((SECONDS < deadline)); do
    if [[ -f $file ]] && grep -Eq "$regex" "$file"; then return 0; fi
    if [[ -n $pid ]] && ! alive "$pid"; then return 1; fi
    sleep 0.05
  done
  return 1
}

# alive PID: the process exists and is not a zombie (a server whose starter exited is
# reparented to init, which may be slow to reap it)
alive() {
  local stat state
  read -r stat 2>/dev/null <"/proc/$1/stat" || return 1
  state=${stat##*) }
  state=${state:0:1}
  [[ -n $state && $state != Z && $state != X ]]
}

# tree_pids PID...: the given pids and all their descendants (from /proc)
tree_pids() {
  "$PY" "$BENCH_DIR/lib/procstat.py" --list "$@"
}

# stop_tree SIGNAL SECONDS PID: send SIGNAL to PID, wait up to SECONDS for the whole tree
# to exit, then SIGKILL whatever of that tree (as listed before the signal) is left.
stop_tree() {
  local sig=$1 seconds=$2 pid=$3 pids p deadline
  [[ -n $pid ]] || return 0
  alive "$pid" || return 0
  pids=$(tree_pids "$pid")
  kill "-$sig" "$pid" 2>/dev/null || true
  deadline=$((SECONDS + seconds))
  while ((SECONDS < deadline)); do
    local alive_any=0
    for p in $pids; do alive "$p" && alive_any=1; done
    ((alive_any)) || return 0
    sleep 0.1
  done
  log "pid $pid did not stop within ${seconds}s after SIG$sig: killing its tree ($(echo $pids))"
  for p in $pids; do alive "$p" && { kill -KILL "$p" 2>/dev/null || true; }; done
  sleep 0.2
  return 0
}

# start_bg LOGFILE CMD...: start CMD in the background in a session of its own (Apache's
# prefork signals its whole process group when it stops), print its pid
start_bg() {
  local logfile=$1; shift
  setsid "$@" >"$logfile" 2>&1 </dev/null &
  echo $!
}

# The peer's pid file holds the root pids of everything it started, one a line.
peer_pidfile() { echo "$WORK/$1/pids"; }

stop_peer_pids() {
  local peer=$1 sig=${2:-TERM} seconds=${3:-15} pidfile pid
  pidfile=$(peer_pidfile "$peer")
  [[ -f $pidfile ]] || return 0
  while read -r pid; do
    [[ -n $pid ]] && stop_tree "$sig" "$seconds" "$pid"
  done < <(tac "$pidfile")
  rm -f "$pidfile"
}

# http_get PORT HOST PATH: the body, or nothing (and a failure) on any error or non-200
http_get() {
  curl -sS --fail --max-time 5 --noproxy '*' -H "Host: $2" "http://127.0.0.1:$1$3"
}

# check_peer PEER PORT PHP_UID_ALPHA PHP_UID_BETA: content per Host, PHP uid per site.
# A PHP uid of "-" means the peer does not serve PHP (not checked, not measured).
check_peer() {
  local peer=$1 port=$2 ok=0 site expected body
  declare -A php_uid=([alpha]=$3 [beta]=$4)
  for site in "${SITES[@]}"; do
    for f in 1k.html 100k.html; do
      if ! http_get "$port" "$(site_host "$site")" "/$f" | cmp -s - "$WORK/sites/$site/$f"; then
        log "check $peer: /$f for Host $(site_host "$site") is not $site's file"; ok=1
      fi
    done
    expected=${php_uid[$site]}
    [[ $expected == - ]] && continue
    body=$(http_get "$port" "$(site_host "$site")" /hello.php 2>&1)
    if [[ $body != "hello from uid $expected" ]]; then
      log "check $peer: /hello.php for Host $(site_host "$site") said '${body:0:200}', expected 'hello from uid $expected'"; ok=1
    fi
  done
  return $ok
}
