#!/usr/bin/env bash
# A throwaway PKI for the TLS benchmark, under bench/output/tls:
#   ca.crt                root CA (what the clients trust; its key is deleted once used)
#   intermediate.crt      intermediate CA, signs the sites' certificates
#   <site>.chain.crt      the site's certificate (SAN DNS:<site>.test) + the intermediate,
#                         as a server sends it (a chain of two, like most public sites)
#   <site>.key            the site's key, mode 0600 root
# Keys: ECDSA P-256 (BENCH_TLS_KEY=ec, the default; what most CAs issue now) or RSA 2048
# (BENCH_TLS_KEY=rsa). Idempotent: regenerates everything when a file is missing, the key type
# changed or a certificate expires within 2 days.
set -euo pipefail
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/tls-common.sh"

KEY_TYPE=${BENCH_TLS_KEY:-ec}
case $KEY_TYPE in
ec) KEY_ARGS=(-algorithm EC -pkeyopt ec_paramgen_curve:P-256) ;;
rsa) KEY_ARGS=(-algorithm RSA -pkeyopt rsa_keygen_bits:2048) ;;
*) die "BENCH_TLS_KEY is ec or rsa, not '$KEY_TYPE'" ;;
esac

up_to_date() {
  [[ $(cat "$TLS_DIR/key-type" 2>/dev/null) == "$KEY_TYPE" ]] || return 1
  local f
  for f in "$TLS_DIR/ca.crt" "$TLS_DIR/intermediate.crt"; do
    [[ -s $f ]] && openssl x509 -in "$f" -noout -checkend 172800 >/dev/null || return 1
  done
  for site in "${SITES[@]}"; do
    [[ -s $(tls_key "$site") && -s $(tls_chain "$site") ]] || return 1
    openssl x509 -in "$(tls_chain "$site")" -noout -checkend 172800 >/dev/null || return 1
  done
}

if up_to_date; then
  log "TLS certificates in ${TLS_DIR#"$REPO_DIR"/} are current ($KEY_TYPE)"
  exit 0
fi

umask 077
rm -rf "$TLS_DIR"
install -d -m 0755 "$TLS_DIR"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

new_key() { timeout 60 openssl genpkey "${KEY_ARGS[@]}" -out "$1" 2>/dev/null; }

# root CA: self-signed, 30 days
new_key "$tmp/ca.key"
timeout 60 openssl req -x509 -new -key "$tmp/ca.key" -sha256 -days 30 -subj "/CN=bulkhead bench root CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -out "$TLS_DIR/ca.crt"

# intermediate CA, signed by the root
new_key "$tmp/intermediate.key"
timeout 60 openssl req -new -key "$tmp/intermediate.key" -subj "/CN=bulkhead bench intermediate CA" -out "$tmp/intermediate.csr"
printf 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n' >"$tmp/intermediate.ext"
timeout 60 openssl x509 -req -in "$tmp/intermediate.csr" -CA "$TLS_DIR/ca.crt" -CAkey "$tmp/ca.key" \
  -CAcreateserial -CAserial "$tmp/ca.srl" -days 29 -sha256 -extfile "$tmp/intermediate.ext" \
  -out "$TLS_DIR/intermediate.crt" 2>/dev/null

# one certificate per site, signed by the intermediate
for site in "${SITES[@]}"; do
  host=$(site_host "$site")
  new_key "$(tls_key "$site")"
  timeout 60 openssl req -new -key "$(tls_key "$site")" -subj "/CN=$host" -out "$tmp/$site.csr"
  printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature%s\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:%s\n' \
    "$([[ $KEY_TYPE == rsa ]] && echo ,keyEncipherment)" "$host" >"$tmp/$site.ext"
  timeout 60 openssl x509 -req -in "$tmp/$site.csr" -CA "$TLS_DIR/intermediate.crt" -CAkey "$tmp/intermediate.key" \
    -CAcreateserial -CAserial "$tmp/intermediate.srl" -days 28 -sha256 -extfile "$tmp/$site.ext" \
    -out "$tmp/$site.crt" 2>/dev/null
  cat "$tmp/$site.crt" "$TLS_DIR/intermediate.crt" >"$(tls_chain "$site")"
  chmod 0644 "$(tls_chain "$site")"
  chown root:root "$(tls_key "$site")"
  chmod 0600 "$(tls_key "$site")"
  openssl verify -CAfile "$TLS_DIR/ca.crt" -untrusted "$TLS_DIR/intermediate.crt" "$tmp/$site.crt" >/dev/null ||
    die "the certificate made for $site does not verify"
done
chmod 0644 "$TLS_DIR/ca.crt" "$TLS_DIR/intermediate.crt"
echo "$KEY_TYPE" >"$TLS_DIR/key-type"
chmod 0644 "$TLS_DIR/key-type"
log "TLS: throwaway CA and certificates for ${SITES[*]} ($KEY_TYPE) in ${TLS_DIR#"$REPO_DIR"/}"
