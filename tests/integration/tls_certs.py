"""Throwaway certificate authorities and site certificates for the TLS tests, made with the
`openssl` command line (Debian's openssl package) into a directory the test owns.

    ca = make_ca(directory / "ca", "bulkhead test CA")
    cert, key = make_site_cert(ca, directory / "alpha", ["alpha.test", "*.alpha.test"])

Keys are EC P-256 (fast to generate); key files are mode 0600 and owned by root, as a real
deployment may have them: only the master can open them.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

OPENSSL = "/usr/bin/openssl"


def _run(*args: str) -> None:
    result = subprocess.run([OPENSSL, *args], stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)
    if result.returncode != 0:
        raise RuntimeError(f"openssl {' '.join(args)} failed:\n{result.stdout.decode()}")


@dataclass
class CertificateAuthority:
    cert: Path
    key: Path


def make_ca(prefix: Path, name: str = "bulkhead test CA", days: int = 30) -> CertificateAuthority:
    prefix.parent.mkdir(parents=True, exist_ok=True)
    cert, key = Path(f"{prefix}.crt"), Path(f"{prefix}.key")
    _run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
         "-keyout", str(key), "-out", str(cert), "-days", str(days), "-subj", f"/CN={name}",
         "-addext", "basicConstraints=critical,CA:TRUE",
         "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    os.chmod(key, 0o600)
    os.chmod(cert, 0o644)
    return CertificateAuthority(cert, key)


def make_key(path: Path) -> Path:
    _run("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", str(path))
    os.chmod(path, 0o600)
    return path


def make_site_cert(ca: CertificateAuthority, prefix: Path, names: list, days: int = 30,
                   key: Path | None = None,
                   chain: bool = True) -> tuple:
    """A leaf certificate for `names` signed by `ca`; returns (cert_path, key_path). The cert
    file holds the leaf followed by the CA (a chain) when `chain` is true. `days` may be
    negative: a certificate that has already expired."""
    prefix.parent.mkdir(parents=True, exist_ok=True)
    key = key or make_key(Path(f"{prefix}.key"))
    csr = Path(f"{prefix}.csr")
    leaf = Path(f"{prefix}.leaf.crt")
    cert = Path(f"{prefix}.crt")
    ext = Path(f"{prefix}.ext")
    _run("req", "-new", "-key", str(key), "-out", str(csr), "-subj", f"/CN={names[0]}")
    ext.write_text("subjectAltName=" + ",".join(f"DNS:{n}" for n in names) + "\n"
                   "basicConstraints=CA:FALSE\n"
                   "keyUsage=critical,digitalSignature\n"
                   "extendedKeyUsage=serverAuth\n")
    # `x509 -req -days` starts the validity now; openssl 3.0's x509 cannot start it in the
    # past, so an expired certificate goes through `openssl ca` with explicit dates.
    if days > 0:
        _run("x509", "-req", "-in", str(csr), "-CA", str(ca.cert), "-CAkey", str(ca.key),
             "-CAcreateserial", "-out", str(leaf), "-days", str(days), "-extfile", str(ext),
             "-sha256")
    else:
        _expired_cert(ca, csr, ext, leaf)
    data = leaf.read_bytes()
    if chain:
        data += ca.cert.read_bytes()
    cert.write_bytes(data)
    os.chmod(cert, 0o644)
    return cert, key


def _expired_cert(ca: CertificateAuthority, csr: Path, ext: Path, out: Path) -> None:
    """Signs `csr` with validity entirely in the past, through `openssl ca` and a minimal
    database in a scratch directory."""
    work = out.parent / (out.stem + ".ca-db")
    work.mkdir(parents=True, exist_ok=True)
    (work / "index.txt").write_text("")
    (work / "serial").write_text("1000\n")
    conf = work / "ca.cnf"
    conf.write_text(f"""[ ca ]
default_ca = test
[ test ]
dir = {work}
database = {work}/index.txt
serial = {work}/serial
new_certs_dir = {work}
certificate = {ca.cert}
private_key = {ca.key}
default_md = sha256
policy = any
unique_subject = no
copy_extensions = none
[ any ]
commonName = supplied
""")
    _run("ca", "-batch", "-config", str(conf), "-in", str(csr), "-out", str(out),
         "-startdate", "20200101000000Z", "-enddate", "20200201000000Z",
         "-extfile", str(ext), "-notext")
