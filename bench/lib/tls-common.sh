# TLS settings of the benchmark (bench/tls.sh and the peers' scripts with BENCH_TLS=1);
# sourced after lib/common.sh, never run.
#
# Each peer keeps its plaintext port (PEER_PORT, for the usual check) and gets a TLS port
# BENCH_TLS_PORT_OFFSET (10) above it: bulkhead 18091, nginx 18092 by default.
# The throwaway CA and the sites' certificates live in bench/output/tls (tls-certs.sh).

TLS_PORT_OFFSET=${BENCH_TLS_PORT_OFFSET:-10}
TLS_DIR=$WORK/tls

# How wrk (HTTP/1.1) names the site: "name" (default) runs wrk in a mount namespace of its own
# whose /etc/hosts says alpha.test is 127.0.0.1, so that SNI and Host are the site's name as
# with a real client; "ip" connects to https://127.0.0.1 (wrk then sends SNI "127.0.0.1", an
# unknown name) and both servers make alpha the default for unknown names.
TLS_WRK_SNI=${BENCH_TLS_WRK_SNI:-name}

# nginx closes a connection (HTTP/1.1 and HTTP/2) after keepalive_requests requests; bulkhead
# has no such limit, so nginx gets one too high to matter during a run: otherwise nginx alone
# would pay a new TLS handshake every 1,000 requests and HTTP/2 clients would get GOAWAYs.
TLS_KEEPALIVE_REQUESTS=${BENCH_TLS_KEEPALIVE_REQUESTS:-100000000}

tls_port() { echo $((PEER_PORT[$1] + TLS_PORT_OFFSET)); }
tls_ca() { echo "$TLS_DIR/ca.crt"; }
tls_chain() { echo "$TLS_DIR/$1.chain.crt"; } # the site's certificate + the intermediate CA
tls_key() { echo "$TLS_DIR/$1.key"; }         # root only (0600): the servers' masters read it
