#!/usr/bin/env bash
# Installs what the benchmark needs (Debian packages), creates the site users and fills the
# document roots under bench/output/sites/. Idempotent; needs root. Starts no server, and stops
# the Debian service units of nginx, lighttpd, Apache and PHP-FPM if apt started them.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"

[[ $(id -u) == 0 ]] || die "run as root (apt-get, useradd, and bulkhead run need it)"

PACKAGES=(wrk nghttp2-client nginx-light lighttpd php-fpm php-cgi apache2 libapache2-mpm-itk
          libapache2-mod-php curl procps python3)
missing=()
for p in "${PACKAGES[@]}"; do
  if [[ $p == nginx-light ]] && command -v nginx >/dev/null; then continue; fi # nginx or nginx-light
  dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  log "installing: ${missing[*]}"
  timeout 900 apt-get update -qq
  DEBIAN_FRONTEND=noninteractive timeout 1800 apt-get install -y -qq "${missing[@]}" >/dev/null
fi
PHP_FPM_BIN=$(ls /usr/sbin/php-fpm[0-9]* 2>/dev/null | sort -V | tail -n1)
[[ -x $PHP_FPM_BIN ]] || die "php-fpm not found after installing"

# Users: one per site, and the dispatcher's, with fixed ids so configurations are stable.
make_user() { # NAME UID
  local name=$1 uid=$2
  if getent passwd "$name" >/dev/null; then
    [[ $(id -u "$name") == "$uid" ]] || die "user $name exists with uid $(id -u "$name"), expected $uid"
    return
  fi
  getent passwd "$uid" >/dev/null && die "uid $uid is taken by $(getent passwd "$uid" | cut -d: -f1)"
  getent group "$name" >/dev/null || groupadd --system --gid "$uid" "$name"
  useradd --system --uid "$uid" --gid "$uid" --home-dir /nonexistent --no-create-home \
    --shell /usr/sbin/nologin "$name"
  log "created user $name ($uid)"
}
make_user "$DISPATCH_USER" "$DISPATCH_UID"
for site in "${SITES[@]}"; do make_user "${SITE_USER[$site]}" "${SITE_UID[$site]}"; done

# Document roots: traversable by every user (the servers' shared user reads them too).
install -d -m 0755 "$WORK" "$WORK/sites"
chmod 0755 "$BENCH_DIR"
for site in "${SITES[@]}"; do
  dir=$WORK/sites/$site
  install -d -m 0755 -o "${SITE_UID[$site]}" -g "${SITE_UID[$site]}" "$dir"
  # 1 KiB and 100 KiB files whose first line names the site (the checks compare whole files)
  "$PY" - "$dir" "$site" <<'PYEOF'
import sys
d, site = sys.argv[1], sys.argv[2]
for name, size in (("1k.html", 1024), ("100k.html", 100 * 1024)):
    head = f"<!-- {site}: {name} -->\n".encode()
    body = bytes(b"abcdefghijklmnopqrstuvwxyz0123456789"[i % 36] for i in range(size - len(head) - 1))
    with open(f"{d}/{name}", "wb") as f:
        f.write(head + body + b"\n")
PYEOF
  printf '<?php echo "hello from uid ", posix_getuid(), "\\n";\n' >"$dir/hello.php"
  chown "${SITE_UID[$site]}:${SITE_UID[$site]}" "$dir"/*
  chmod 0644 "$dir"/*
done

# Service units that apt may have started: the benchmark starts its own servers.
"$BENCH_DIR/lib/stop-services.sh"
log "setup done: users ${SITE_USER[*]} and $DISPATCH_USER, document roots in $WORK/sites"
