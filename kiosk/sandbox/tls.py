"""The sandbox's own certificate authority: HTTPS on a developer box, a test or a VM.

At start the sandbox makes a CA and a server certificate signed by it, valid for the
loopback names and every host it is told about, and writes them into a directory: the
kiosk then verifies the sandbox exactly as it verifies the real API, against a CA it was
given (`api.ca_file`, or the CA installed into the system's trust store, as a store's IT
department does with its TLS-inspecting proxy). Nothing here is reused across starts: a
fresh CA each time, so no private key outlives the process that needs it except in the
directory the caller chose. EC P-256 keys: generating both takes milliseconds.
"""

from __future__ import annotations

import datetime
import ipaddress
import ssl
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from kiosk.atomic import write_atomic

__all__ = ["LOOPBACK_NAMES", "TlsFiles", "make_certificates"]

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
_VALID = datetime.timedelta(days=30)


@dataclass(frozen=True)
class TlsFiles:
    """Where the CA and the server's certificate and key were written."""

    directory: Path
    ca_cert: Path  # give this to clients (api.ca_file, or the system trust store)
    server_cert: Path
    server_key: Path  # mode 0600
    names: tuple[str, ...]

    def server_context(self) -> ssl.SSLContext:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_cert_chain(self.server_cert, self.server_key)
        return ctx

    def client_context(self) -> ssl.SSLContext:
        """A client context trusting only this CA (for tests and tools)."""
        return ssl.create_default_context(cafile=str(self.ca_cert))


def make_certificates(directory: Path | str, hosts: Iterable[str] = (),
                      valid_from: datetime.datetime | None = None) -> TlsFiles:
    """A new CA and a server certificate for the loopback names plus `hosts`.

    Both are valid for 30 days from `valid_from` (default: five minutes ago, as a
    renewed certificate is): a later start is "not yet valid" to every client, an
    earlier one by more than 30 days "expired", which is how the kiosk's reading of a
    wrong clock is tested over real TLS."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    names = tuple(dict.fromkeys([*LOOPBACK_NAMES, *(h for h in hosts if h and h != "0.0.0.0")]))
    now = valid_from or datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=5)

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Retail Digitals sandbox CA"),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, "kiosk sandbox")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name).issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now).not_valid_after(now + _VALID)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
            key_encipherment=False, data_encipherment=False, key_agreement=False,
            encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()),
                       critical=False)
        .sign(ca_key, hashes.SHA256())
    )

    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now).not_valid_after(now + _VALID)
        .add_extension(x509.SubjectAlternativeName([_san(n) for n in names]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                       critical=False)
        .sign(ca_key, hashes.SHA256())
    )

    pem = serialization.Encoding.PEM
    files = TlsFiles(directory, directory / "ca.pem", directory / "server.pem",
                     directory / "server-key.pem", names)
    # fsync is not needed for throw-away certificates, but the one writer gives the key
    # its 0600 from the first byte on.
    write_atomic(files.ca_cert, ca_cert.public_bytes(pem), sync_dir=False)
    write_atomic(files.server_cert, cert.public_bytes(pem) + ca_cert.public_bytes(pem),
                 sync_dir=False)
    write_atomic(files.server_key, key.private_bytes(
        pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()), mode=0o600,
        sync_dir=False)
    return files


def _san(name: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(name.strip("[]")))
    except ValueError:
        return x509.DNSName(name)

