#!/usr/bin/env bash
# Checks a peer's TLS port before it is measured, for one protocol:
#   tls-check.sh PEER http/1.1|h2 [INFO_FILE]
# Each site's 1k.html and 100k.html must come back byte for byte over https with SNI and Host
# (or :authority) the site's name, the certificate verifying against the throwaway CA for that
# name (so each name got its own certificate), and curl must have spoken that protocol (for
# h2: the server agreed to ALPN "h2"). With BENCH_TLS_WRK_SNI=ip also what wrk does then: SNI
# 127.0.0.1 (a name no site owns) with Host alpha.test must give alpha's file.
# INFO_FILE gets what `openssl s_client` negotiates with the same OpenSSL defaults as wrk and
# h2load and the same ALPN offer (protocol, cipher, key exchange, ALPN), and whether the server
# resumes sessions and renews tickets on resumption (tls-resumption.py). Exit 0: all good; else one line per problem.
set -euo pipefail
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/tls-common.sh"

peer=${1:?usage: tls-check.sh PEER http/1.1|h2 [INFO_FILE]}
proto=${2:?usage: tls-check.sh PEER http/1.1|h2 [INFO_FILE]}
info=${3:-}
port=$(tls_port "$peer")
case $proto in
http/1.1) curl_proto=--http1.1 expected_version=1.1 ;;
h2) curl_proto=--http2 expected_version=2 ;;
*) die "protocol is http/1.1 or h2, not '$proto'" ;;
esac

tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
ok=0

# fetch URL [CURL_ARGS...]: the body in $tmp, prints the HTTP version curl used
fetch() {
  local url=$1; shift
  curl -sS --fail --max-time 5 --noproxy '*' "$curl_proto" -o "$tmp" -w '%{http_version}' "$@" "$url"
}

for site in "${SITES[@]}"; do
  host=$(site_host "$site")
  for f in 1k.html 100k.html; do
    if ! version=$(fetch "https://$host:$port/$f" --cacert "$(tls_ca)" --resolve "$host:$port:127.0.0.1" 2>&1); then
      log "check $peer over TLS ($proto): https://$host:$port/$f failed: ${version:0:300}"; ok=1; continue
    fi
    if [[ $version != "$expected_version" ]]; then
      log "check $peer over TLS ($proto): https://$host:$port/$f was answered over HTTP/$version, not HTTP/$expected_version (the server did not agree to ALPN $proto)"
      ok=1; continue
    fi
    cmp -s "$tmp" "$WORK/sites/$site/$f" ||
      { log "check $peer over TLS ($proto): https://$host:$port/$f is not $site's file"; ok=1; }
  done
done

if [[ $TLS_WRK_SNI == ip && $proto == http/1.1 ]]; then
  if ! version=$(fetch "https://127.0.0.1:$port/1k.html" --insecure -H "Host: $(site_host alpha)" 2>&1); then
    log "check $peer over TLS: https://127.0.0.1:$port/1k.html (SNI 127.0.0.1, Host $(site_host alpha)) failed: ${version:0:300}"; ok=1
  elif ! cmp -s "$tmp" "$WORK/sites/alpha/1k.html"; then
    log "check $peer over TLS: https://127.0.0.1:$port/1k.html (SNI 127.0.0.1) is not alpha's file"; ok=1
  fi
fi

if [[ -n $info ]]; then
  # what the measuring client gets: wrk offers no ALPN, h2load offers h2 (no request is sent:
  # stdin is empty); the session summary holds protocol, cipher, key exchange and ALPN
  alpn=()
  [[ $proto == h2 ]] && alpn=(-alpn h2)
  timeout 10 openssl s_client -connect "127.0.0.1:$port" -servername "$(site_host alpha)" "${alpn[@]}" \
    -CAfile "$(tls_ca)" </dev/null 2>&1 |
    grep -a -E '^(New, |Server Temp Key:|ALPN protocol:|No ALPN|Peer signature type:|Verify return code:)' >"$info" || true
  # session resumption, and whether a resumed connection gets a new ticket (tls-resumption.py)
  echo "Resumption: $(timeout 30 "$PY" "$(dirname "$0")/tls-resumption.py" "$port" "$(site_host alpha)" "$(tls_ca)" 2>&1 | tail -n1)" >>"$info"
fi
exit $ok
