"""Routing: which site answers which name (dispatcher peek, worker re-check)."""

import pytest
import requests

from conftest import Conn, parse_one, request_bytes

ALPHA_BODY = "<h1>alpha</h1>\n"
BETA_BODY = "<h1>beta</h1>\n"


@pytest.mark.parametrize("host, body", [("alpha.test", ALPHA_BODY), ("beta.test", BETA_BODY)])
def test_each_host_gets_its_own_index_page(server, host, body):
    response = server.get(host)
    assert response.status == 200
    assert response.text == body


def test_requests_library_with_host_header_gets_each_sites_content(server):
    for host, body in (("alpha.test", ALPHA_BODY), ("beta.test", BETA_BODY)):
        reply = requests.get(server.url("/"), headers={"Host": host}, timeout=5)
        assert reply.status_code == 200
        assert reply.text == body


def test_absolute_form_target_wins_over_host_header(server):
    response = server.get("alpha.test", "http://beta.test/")
    assert response.status == 200 and response.text == BETA_BODY
    response = server.get("beta.test", "http://alpha.test/sub/page.txt")
    assert response.status == 200 and response.text == "alpha sub page\n"


@pytest.mark.parametrize("host", ["alpha.test:80", "alpha.test:8080", "ALPHA.TEST", "Alpha.Test",
                                  "alpha.test.", "ALPHA.test.:443", "alpha.test:"])
def test_host_port_case_and_trailing_dot_are_ignored(server, host):
    response = server.get(host)
    assert response.status == 200
    assert response.text == ALPHA_BODY


@pytest.mark.parametrize("host", ["a.alpha.test", "a.b.alpha.test", "WWW.Alpha.Test.:81"])
def test_wildcard_host_matches_subdomains_at_any_depth(server, host):
    response = server.get(host)
    assert response.status == 200
    assert response.text == ALPHA_BODY


@pytest.mark.parametrize("host", ["xalpha.test", "notalpha.test", "alpha.test.example",
                                  "test", "alpha", "beta.test.alpha", "a.beta.test"])
def test_wildcard_and_exact_hosts_do_not_match_sibling_names(server, host):
    response = server.get(host)
    assert response.status == 421


def test_ipv6_listener_routes_by_host(server):
    for host, body in (("alpha.test", ALPHA_BODY), ("beta.test", BETA_BODY),
                       ("a.b.alpha.test", ALPHA_BODY)):
        response = server.get(host, address="::1")
        assert response.status == 200
        assert response.text == body
    assert server.get("nobody.test", address="::1").status == 421


def test_unknown_host_gets_421_by_default(server):
    reply = server.raw(request_bytes("unknown.example"))
    response = parse_one(reply)
    assert response.status == 421
    assert reply.closed


def test_ip_literal_host_is_an_unknown_name(server):
    assert server.get("127.0.0.1").status == 421
    assert server.get(f"127.0.0.1:{server.port}").status == 421


def test_http10_without_host_follows_unknown_host_policy_421(server):
    reply = server.raw(b"GET / HTTP/1.0\r\n\r\n")
    assert parse_one(reply).status == 421
    assert reply.closed


def test_http11_without_host_is_400(server):
    reply = server.raw(b"GET / HTTP/1.1\r\n\r\n")
    assert parse_one(reply).status == 400
    assert reply.closed


def test_malformed_host_value_is_400(server):
    for host in ("alpha test", "alpha.test:99999", "al%70ha.test", "user@alpha.test", "a..test"):
        response = server.get(host)
        assert response.status == 400, host


def test_unknown_host_policy_site_serves_unknown_names_and_hostless_http10(make_server):
    srv = make_server(server_options={"unknown_host": "alpha"})
    response = srv.get("unknown.example")
    assert response.status == 200 and response.text == ALPHA_BODY
    response = srv.get(None, version="HTTP/1.0")
    assert response.status == 200 and response.text == ALPHA_BODY
    # Known names still go to their own site, and HTTP/1.1 without Host is still an error.
    assert srv.get("beta.test").text == BETA_BODY
    assert srv.get(None).status == 400


def test_unknown_host_policy_site_still_hands_known_names_to_their_site_on_keep_alive(make_server):
    srv = make_server(server_options={"unknown_host": "alpha"})
    with Conn(srv) as conn:
        assert conn.request("unknown.example").text == ALPHA_BODY
        assert conn.request("beta.test").text == BETA_BODY
        assert conn.request("alpha.test").text == ALPHA_BODY


def test_ipv6_literal_host_is_an_unknown_name(server):
    assert server.get("[::1]").status == 421
    assert server.get(f"[::1]:{server.port6}", address="::1").status == 421


def test_unknown_host_policy_404_answers_unknown_names_with_404(make_server):
    srv = make_server(server_options={"unknown_host": "404"})
    reply = srv.raw(request_bytes("unknown.example"))
    assert parse_one(reply).status == 404
    assert reply.closed
    assert srv.get(None, version="HTTP/1.0").status == 404
    assert srv.get("alpha.test").text == ALPHA_BODY


def test_unknown_host_policy_site_beta_serves_unknown_names(make_server):
    srv = make_server(server_options={"unknown_host": "beta"})
    assert srv.get("unknown.example").text == BETA_BODY
    assert srv.get("alpha.test").text == ALPHA_BODY
    assert srv.get("unknown.example", "/only-beta.txt").text == "beta only\n"
