#!/usr/bin/env bash
# PHP-FPM for nginx and lighttpd: one master (root, started here with a generated
# configuration) and one static pool per site, running as that site's user, listening on a
# unix socket under bench/output/<owner>/php-fpm/ that only the web server's user may open.
#   php-fpm.sh start OWNER   (OWNER: the peer that uses it; its pid is appended to OWNER's pids)
#   php-fpm.sh socket OWNER SITE
set -euo pipefail
. "$(dirname "$0")/../lib/common.sh"

cmd=${1:?start|socket}
owner=${2:?owner peer}
dir=$WORK/$owner/php-fpm

case $cmd in
socket) echo "$dir/${3:?site}.sock" ;;
start)
  [[ -x $PHP_FPM_BIN ]] || die "php-fpm is not installed: run bench/setup.sh"
  install -d -m 0755 "$dir"
  rm -f "$dir"/*.sock
  {
    echo "[global]"
    echo "pid = $dir/php-fpm.pid"
    echo "error_log = $dir/error.log"
    echo "daemonize = no"
    for site in "${SITES[@]}"; do
      cat <<POOL

[$site]
user = ${SITE_USER[$site]}
group = ${SITE_USER[$site]}
listen = $dir/$site.sock
listen.owner = $SHARED_USER
listen.group = $SHARED_USER
listen.mode = 0600
listen.backlog = 511
pm = static
pm.max_children = $FPM_CHILDREN
pm.max_requests = 0
catch_workers_output = yes
POOL
    done
  } >"$dir/php-fpm.conf"
  "$PHP_FPM_BIN" -t -y "$dir/php-fpm.conf" >"$dir/test.log" 2>&1 || { cat "$dir/test.log" >&2; die "php-fpm rejects $dir/php-fpm.conf"; }
  pid=$(start_bg "$dir/stderr.log" "$PHP_FPM_BIN" --nodaemonize -y "$dir/php-fpm.conf")
  echo "$pid" >>"$(peer_pidfile "$owner")"
  for site in "${SITES[@]}"; do
    deadline=$((SECONDS + 15))
    until [[ -S $dir/$site.sock ]]; do
      ((SECONDS < deadline)) && alive "$pid" || { cat "$dir/stderr.log" "$dir/error.log" >&2 2>/dev/null; die "php-fpm did not open $dir/$site.sock"; }
      sleep 0.1
    done
  done
  log "php-fpm (pid $pid): pools ${SITES[*]}, $FPM_CHILDREN children each"
  ;;
*) die "usage: $0 start|socket OWNER [SITE]" ;;
esac
