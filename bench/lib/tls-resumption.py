#!/usr/bin/env python3
"""Does a TLS server resume sessions, and does it hand out a new ticket on a resumed connection?

usage: tls-resumption.py PORT HOST CA_FILE

Two connections to 127.0.0.1:PORT with SNI and Host HOST, each a GET of /1k.html with
"Connection: close" read to the end (so that the tickets the server sends are read): the first
a full handshake, the second offering the first's session. Prints one line:
"resumed=yes|no new_ticket_on_resumption=yes|no|n/a".

Why the second question matters: TLS 1.3 clients should use a ticket once (RFC 8446 C.4), and
OpenSSL's client session cache, which wrk uses, drops a ticket once used. A server that does
not renew the ticket on a resumed connection gets a full handshake from such a client every
other connection. (Python's client reuses a ticket, which is why this script can look.)
"""
import socket
import ssl
import sys


def fetch(port, host, context, session):
    """(resumed, session after the connection)"""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        with context.wrap_socket(raw, server_hostname=host, session=session) as tls:
            tls.sendall(f"GET /1k.html HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
            for _ in range(1000):  # to the server's close; bounded
                try:
                    if not tls.recv(65536):
                        break
                except (ssl.SSLError, OSError):
                    break
            return tls.session_reused, tls.session


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    port, host, ca_file = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    context = ssl.create_default_context(cafile=ca_file)
    _, first = fetch(port, host, context, None)
    resumed, second = fetch(port, host, context, first)
    if not resumed:
        print("resumed=no new_ticket_on_resumption=n/a")
        return
    # In TLS 1.3 OpenSSL's client names a session by the hash of its ticket: a new id is a new
    # ticket.
    renewed = second is not None and second.has_ticket and second.id != first.id
    print(f"resumed=yes new_ticket_on_resumption={'yes' if renewed else 'no'}")


if __name__ == "__main__":
    main()
