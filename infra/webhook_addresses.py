"""Where a webhook may be sent: public addresses only, unless allowed.

A service that POSTs to URLs its clients name must not become their way into
the networks it sits in (SSRF): loopback, private, link-local, multicast,
unspecified and reserved addresses are refused unless
SEATLEDGER_WEBHOOKS_ALLOW_PRIVATE is set (tests, on-premises). A name is
resolved and every address it resolves to must pass: at registration, and
again at each delivery (DNS can change), where the sender then connects to
the very address it checked.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from domain.errors import ValidationFailed

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class Disallowed(Exception):
    """The destination may not be reached (or not resolved)."""


def public(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped  # ::ffff:127.0.0.1 is loopback too
    return address.is_global and not address.is_multicast


def resolve(host: str, port: int, allow_private: bool) -> list[str]:
    """The addresses to connect to; raises Disallowed."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise Disallowed(f"the host {host!r} does not resolve ({exc})") from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in found))
    if not addresses:
        raise Disallowed(f"the host {host!r} does not resolve")
    if allow_private:
        return addresses
    for text in addresses:
        address = ipaddress.ip_address(text.split("%")[0])
        if not public(address):
            raise Disallowed(
                f"the host {host!r} resolves to {address}, which is not a public "
                "address (loopback, private, link-local, multicast or reserved)"
            )
    return addresses


def port_of(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    default = 443 if parts.scheme == "https" else 80
    return parts.hostname or "", parts.port or default


def check_destination(url: str, allow_private: bool) -> None:
    """At registration: 422 for a URL the sender would refuse to call."""
    if allow_private:
        return  # nothing to refuse: no lookup (tests, on-premises)
    host, port = port_of(url)
    try:
        resolve(host, port, allow_private)
    except Disallowed as exc:
        raise ValidationFailed(str(exc), field="url") from None
