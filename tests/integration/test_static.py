"""Static files: what each site serves, and that one site never serves another's files."""

import os
import re
import time
from pathlib import Path

import pytest

from conftest import ALPHA_UID, Conn

SECRET = "alpha-secret-0600\n"


def mime_types_entry(extension: str):
    """The first type /etc/mime.types names for `extension` (as the server reads it)."""
    try:
        with open("/etc/mime.types") as table:
            for line in table:
                words = line.split("#", 1)[0].split()
                if len(words) >= 2 and extension in words[1:]:
                    return words[0]
    except FileNotFoundError:
        return None
    return None


def test_private_0600_file_is_served_to_its_own_site(server):
    response = server.get("alpha.test", "/secret.txt")
    assert response.status == 200
    assert response.text == SECRET


def test_private_file_of_alpha_is_not_found_on_beta(server):
    response = server.get("beta.test", "/secret.txt")
    assert response.status == 404
    assert SECRET not in response.text


TRAVERSALS = [
    "/../alpha/secret.txt",
    "/../../alpha/secret.txt",
    "/sub/../../alpha/secret.txt",
    "/%2e%2e/alpha/secret.txt",
    "/%2E%2E/alpha/secret.txt",
    "/%2e%2e%2falpha%2fsecret.txt",
    "/.%2e/alpha/secret.txt",
    "/..%2falpha%2fsecret.txt",
    "/%2e%2e%5calpha%5csecret.txt",
    "//../alpha/secret.txt",
]


@pytest.mark.parametrize("target", TRAVERSALS)
def test_dot_dot_through_beta_never_serves_alphas_file(server, target):
    response = server.get("beta.test", target)
    assert response.status in (400, 403, 404), f"{target} -> {response.status}"
    assert SECRET not in response.text


def test_absolute_form_dot_dot_through_beta_never_serves_alphas_file(server):
    response = server.get("beta.test", "http://beta.test/../alpha/secret.txt")
    assert response.status in (400, 403, 404)
    assert SECRET not in response.text


def test_filesystem_path_of_alphas_file_as_target_on_beta_is_404(server):
    path = str(server.alpha_root / "secret.txt")
    for target in (path, "/" + path, "/%2f" + path.lstrip("/")):
        response = server.get("beta.test", target)
        assert response.status in (400, 403, 404), f"{target} -> {response.status}"
        assert SECRET not in response.text


@pytest.mark.parametrize("target", ["/steal-abs.txt", "/steal-rel.txt", "/alpha-dir/secret.txt"])
def test_symlink_in_beta_root_to_alphas_private_file_is_not_served(server, target):
    response = server.get("beta.test", target)
    assert response.status in (403, 404), f"{target} -> {response.status}"
    assert SECRET not in response.text


def test_symlink_in_beta_root_to_alphas_world_readable_file_is_not_served(server):
    """Invariant 4: even world-readable files of another site are out of reach."""
    response = server.get("beta.test", "/alpha-dir/index.html")
    assert response.status in (403, 404)
    assert "alpha" not in response.text.replace("<title>", "")
    response = server.get("beta.test", "/alpha-dir/")
    assert response.status in (403, 404)


def test_beta_cannot_reach_alpha_files_through_alpha_hosts_on_keep_alive(server):
    """A keep-alive connection of beta that names alpha goes to alpha's site (its own
    content), never beta's worker reading alpha's files."""
    with Conn(server) as conn:
        assert conn.request("beta.test", "/secret.txt").status == 404
        response = conn.request("alpha.test", "/secret.txt")
        assert response.status == 200 and response.text == SECRET
        assert conn.request("beta.test", "/steal-abs.txt").status in (403, 404)


def test_index_file_served_for_root_and_subdirectory(server):
    assert server.get("alpha.test", "/").text == "<h1>alpha</h1>\n"
    response = server.get("alpha.test", "/sub/")
    assert response.status == 200
    assert response.text == "<p>alpha sub index</p>\n"
    assert response.header("Content-Type").startswith("text/html")


def test_directory_without_trailing_slash_redirects_301_with_location(server):
    response = server.get("alpha.test", "/sub")
    assert response.status == 301
    location = response.header("Location")
    assert location is not None
    assert re.fullmatch(r"(http://alpha\.test(:\d+)?)?/sub/", location), location
    response = server.get("alpha.test", "/sub?x=1")
    assert response.status == 301
    assert response.header("Location").endswith("/sub/?x=1")


@pytest.mark.parametrize("target", ["//sub", "///sub"])
def test_directory_redirect_is_not_an_open_redirect(server, target):
    response = server.get("alpha.test", target)
    assert response.status == 301
    assert response.header("Location") == "/sub/"


def test_directory_redirect_keeps_percent_encoding(server):
    response = server.get("alpha.test", "/a%20b")
    assert response.status == 301
    assert response.header("Location") == "/a%20b/"
    response = server.get("alpha.test", "/a%20b/")
    assert response.status == 200 and response.text == "space dir\n"


def test_directory_without_index_is_not_listed(server):
    response = server.get("alpha.test", "/nodex/")
    assert response.status in (403, 404)
    assert "readme.txt" not in response.text


def test_missing_file_is_404(server):
    for target in ("/missing.html", "/sub/missing", "/no/such/dir/", "/sub/page.txt/"):
        response = server.get("alpha.test", target)
        assert response.status == 404, target


@pytest.mark.parametrize("target, extension", [("/sub/page.txt", "txt"), ("/style.css", "css"),
                                               ("/data.csv", "csv"), ("/doc.odt", "odt")])
def test_content_type_comes_from_etc_mime_types(server, target, extension):
    expected = mime_types_entry(extension)
    if expected is None:
        pytest.skip(f"/etc/mime.types has no entry for .{extension}")
    response = server.get("alpha.test", target)
    assert response.status == 200
    content_type = response.header("Content-Type")
    assert content_type.split(";")[0].strip().lower() == expected.lower()


def test_unknown_extension_is_octet_stream(server):
    response = server.get("alpha.test", "/big.bin")
    assert response.status == 200
    expected = mime_types_entry("bin") or "application/octet-stream"
    assert response.header("Content-Type").split(";")[0].strip() == expected


def test_ipv6_listener_serves_static_files(server):
    response = server.get("alpha.test", "/secret.txt", address="::1")
    assert response.status == 200 and response.text == SECRET
    response = server.get("beta.test", "/only-beta.txt", address="::1")
    assert response.status == 200 and response.text == "beta only\n"


def test_nul_and_bad_escapes_in_path_are_rejected(server):
    for target in ("/index.html%00.txt", "/%zz", "/%"):
        response = server.get("alpha.test", target)
        assert response.status == 400, f"{target} -> {response.status}"


def test_percent_encoded_utf8_file_name_is_served(server):
    response = server.get("alpha.test", "/caf%C3%A9.txt")
    assert response.status == 200 and response.text == "cafe\n"


def test_empty_file_is_200_with_zero_length_and_range_on_it_416(server):
    response = server.get("alpha.test", "/empty.txt")
    assert response.status == 200
    assert response.header("Content-Length") == "0" and response.body == b""
    response = server.get("alpha.test", "/empty.txt", headers=["Range: bytes=0-"])
    assert response.status == 416


@pytest.mark.parametrize("target, statuses", [
    ("/fifo", (403, 404)),          # must not block the worker on open
    ("/unreadable.txt", (403,)),    # mode 0000, owned by root
    ("/devnull", (403, 404)),       # a symlink that leaves the root
    ("/loop", (403, 404)),          # a symlink loop
])
def test_special_files_are_refused_without_hanging(server, target, statuses):
    response = server.get("alpha.test", target, timeout=3)
    assert response.status in statuses, f"{target} -> {response.status}"
    assert server.get("alpha.test", "/sub/page.txt").status == 200, "the worker still serves"


# --- what a site owner sees after changing a file -------------------------------------------
# Workers keep the files they opened (src/worker/file_cache.hpp). Every worker of alpha is
# asked each time (several requests, new connections), so a stale copy in any of them shows.

def alpha_file(server, name: str, content: bytes, mode: int = 0o644) -> Path:
    path = server.alpha_root / name
    path.write_bytes(content)
    os.chmod(path, mode)
    os.chown(path, ALPHA_UID, ALPHA_UID)
    return path


def bodies(server, target: str, count: int = 8) -> set:
    return {(r.status, r.body) for r in (server.get("alpha.test", target) for _ in range(count))}


def test_file_rewritten_in_place_is_served_new_at_once(server):
    path = alpha_file(server, "fresh-inplace.txt", b"version one\n")
    assert bodies(server, "/fresh-inplace.txt") == {(200, b"version one\n")}
    with open(path, "r+b") as f:  # same inode, as an upload that overwrites does
        f.truncate(0)
        f.write(b"version two, longer\n")
    assert bodies(server, "/fresh-inplace.txt") == {(200, b"version two, longer\n")}
    path.unlink()


def test_file_renamed_over_or_removed_is_seen_at_once(server):
    path = alpha_file(server, "fresh-rename.txt", b"old\n")
    assert bodies(server, "/fresh-rename.txt") == {(200, b"old\n")}
    alpha_file(server, "fresh-rename.txt.tmp", b"new\n")
    os.rename(server.alpha_root / "fresh-rename.txt.tmp", path)
    assert bodies(server, "/fresh-rename.txt") == {(200, b"new\n")}
    path.unlink()
    assert {status for status, _ in bodies(server, "/fresh-rename.txt")} == {404}


def test_file_made_unreadable_is_refused_at_once(server):
    path = alpha_file(server, "fresh-mode.txt", b"readable for now\n")
    assert bodies(server, "/fresh-mode.txt") == {(200, b"readable for now\n")}
    os.chmod(path, 0o000)  # the owner takes back read: the site's worker may not read it now
    assert {status for status, _ in bodies(server, "/fresh-mode.txt")} == {403}
    path.unlink()


def test_switched_release_symlink_is_seen_within_two_seconds(server):
    root = server.alpha_root
    for release, text in (("rel-1", b"release 1\n"), ("rel-2", b"release 2\n")):
        (root / release).mkdir(exist_ok=True)
        alpha_file(server, f"{release}/app.txt", text)
        os.lchown(root / release, ALPHA_UID, ALPHA_UID)
    (root / "current").symlink_to("rel-1")
    assert bodies(server, "/current/app.txt") == {(200, b"release 1\n")}
    (root / "current.new").symlink_to("rel-2")
    os.rename(root / "current.new", root / "current")
    deadline = time.monotonic() + 2.0
    while time.monotonic() < deadline and bodies(server, "/current/app.txt") != {(200, b"release 2\n")}:
        time.sleep(0.1)
    assert bodies(server, "/current/app.txt") == {(200, b"release 2\n")}
    (root / "current").unlink()
