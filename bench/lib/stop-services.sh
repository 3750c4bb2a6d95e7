#!/usr/bin/env bash
# Stops the Debian service units of nginx, lighttpd, Apache and PHP-FPM if they run (apt may
# start them on install), so they take no CPU while measuring: through systemctl where systemd
# runs, otherwise by pid (SIGTERM to the service's master, SIGKILL after 10 s).
# Only processes whose command line is the Debian unit's are touched: a server somebody else
# started by hand (another configuration file) is left alone and only reported.
set -uo pipefail
. "$(dirname "$0")/common.sh"

# name pattern of the process (comm) | the Debian unit's command line of its master
SERVICES=(
  'nginx|^nginx: master process /usr/sbin/nginx'
  'apache2|^/usr/sbin/apache2 -k start'
  'lighttpd|^/usr/sbin/lighttpd -D -f /etc/lighttpd/lighttpd\.conf'
  'php-fpm[0-9.]*|^php-fpm: master process \(/etc/php/'
)

cmdline() { tr '\0' ' ' 2>/dev/null <"/proc/$1/cmdline"; }
matching() { # COMM_REGEX: pids whose comm matches
  local d comm
  for d in /proc/[0-9]*; do
    read -r comm 2>/dev/null <"$d/comm" || continue
    [[ $comm =~ ^($1)$ ]] && echo "${d#/proc/}"
  done
}

if [[ -d /run/systemd/system ]] && command -v systemctl >/dev/null; then
  units=$(systemctl list-units --type=service --state=running --no-legend 2>/dev/null |
          awk '{print $1}' | grep -E '^(nginx|apache2|lighttpd|php[0-9.]*-fpm)\.service$')
  for unit in $units; do log "systemctl stop $unit"; timeout 30 systemctl stop "$unit"; done
fi

status=0
for entry in "${SERVICES[@]}"; do
  comm=${entry%%|*}
  unit_cmd=${entry#*|}
  for pid in $(matching "$comm"); do
    cmd=$(cmdline "$pid")
    [[ -n $cmd ]] || continue
    case $cmd in *"$WORK"*) continue ;; esac # ours
    if [[ $cmd =~ $unit_cmd ]]; then
      log "stopping the Debian service's $comm master, pid $pid ($cmd)"
      stop_tree TERM 10 "$pid"
    else
      ppid=$(awk '{print $4}' "/proc/$pid/stat" 2>/dev/null)
      [[ $(cat "/proc/$ppid/comm" 2>/dev/null) =~ ^($comm)$ ]] && continue # a child: its master is reported
      log "warning: pid $pid ($cmd) is not a Debian service and not the benchmark's: left running; it will disturb the measurements"
      status=0
    fi
  done
done
exit $status
