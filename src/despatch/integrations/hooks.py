"""Signed HTTP POSTs to other people's servers: outbound webhooks and the SMS/WhatsApp gateway.

One attempt per call: the outbox decides when to try again. The answer (status and the start
of the body) is returned for the delivery log; a network failure raises :class:`Unavailable`.

A subscriber's URL is someone else's choice, so it may point inside our own network. With
``public_only`` the host is resolved once, every address it resolves to must be public, and
the POST connects to the address that was checked (a second lookup could answer differently:
DNS rebinding). Redirects are never followed: a 3xx is returned as the answer.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from despatch.domain.errors import FieldError, Unavailable, ValidationFailed
from despatch.domain.webhooks import SIGNATURE_HEADER, signature

TIMEOUT = 15
KEEP = 2000  # characters of the answer kept in the log


@dataclass(frozen=True)
class Answer:
    status: int
    body: str

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


class PrivateAddress(ValidationFailed):
    """The URL leads to loopback, link-local, private or otherwise non-public addresses."""

    code = "private_address"
    title = "URL not allowed"


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def resolve(url: str, *, public_only: bool, field: str = "url") -> str:
    """The address to connect to for ``url``; with ``public_only``, refuse a host that
    resolves to any address that is not public (naming ``field``)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationFailed.single(field, f"{url!r} is not an http(s) URL", "invalid_url")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        found = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (OSError, ValueError) as exc:
        raise Unavailable(f"{parts.hostname} does not resolve: {exc}") from exc
    addresses = [str(info[4][0]) for info in found]
    if public_only:
        private = sorted({a for a in addresses if not _is_public(a)})
        if private:
            raise PrivateAddress(
                [
                    FieldError(
                        field,
                        f"{parts.hostname} resolves to {', '.join(private)}, which is not public",
                        "private_address",
                        hint="set DESPATCH_WEBHOOK_ALLOW_PRIVATE=1 to allow internal receivers",
                    )
                ]
            )
    return addresses[0]


class _Pinned(http.client.HTTPConnection):
    """A connection to a fixed address, whatever the host name resolves to now."""

    def __init__(self, host: str, port: int | None, address: str) -> None:
        super().__init__(host, port, timeout=TIMEOUT)
        self.address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedTls(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int | None, address: str) -> None:
        super().__init__(host, port, timeout=TIMEOUT, context=ssl.create_default_context())
        self.address = address

    def connect(self) -> None:
        sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


Pinned, PinnedTls = _Pinned, _PinnedTls  # for other single calls under the same rules


def post(
    url: str,
    body: bytes,
    secret: str,
    *,
    headers: dict[str, str] | None = None,
    public_only: bool = False,
) -> Answer:
    sent = {
        "Content-Type": "application/json",
        "User-Agent": "Despatch-Webhooks/1",
        SIGNATURE_HEADER: signature(secret, int(time.time()), body),
        **(headers or {}),
    }
    address = resolve(url, public_only=public_only)
    parts = urlsplit(url)
    kind = _PinnedTls if parts.scheme == "https" else _Pinned
    connection = kind(parts.hostname or "", parts.port, address)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request("POST", target, body=body, headers=sent)
        response = connection.getresponse()
        return Answer(response.status, response.read(KEEP).decode("utf-8", "replace"))
    except (OSError, http.client.HTTPException) as exc:
        raise Unavailable(f"POST {url} failed: {exc}") from exc
    finally:
        connection.close()
