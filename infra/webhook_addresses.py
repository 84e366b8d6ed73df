"""Where a webhook may be sent: public addresses only, unless allowed.

A service that POSTs to URLs its clients name must not become their way into
the networks it sits in (SSRF): loopback, private, link-local, multicast,
unspecified and reserved addresses are refused unless
SEATLEDGER_WEBHOOKS_ALLOW_PRIVATE is set (tests, on-premises). A name is
resolved and every address it resolves to must pass: at registration, and
again at each delivery (DNS can change), where the sender then connects to
the very address it checked.

An IPv6 address can carry an IPv4 one (IPv4-mapped, -compatible and
-translated forms, NAT64, 6to4, Teredo): a translator or tunnel on the way
delivers to that IPv4 address, so every IPv4 address it carries must pass the
IPv4 rule too. The local-use NAT64 prefix is refused outright: what its
translator maps to is site-specific.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from domain.errors import ValidationFailed

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class Disallowed(Exception):
    """The destination may not be reached (or not resolved)."""


# IPv6 prefixes whose low 32 bits are an IPv4 address.
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # RFC 6052, well-known prefix
IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")  # RFC 4291 (deprecated)
IPV4_TRANSLATED = ipaddress.IPv6Network("::ffff:0:0:0/96")  # RFC 2765 (SIIT)
LOW_32_BITS = (NAT64, IPV4_COMPATIBLE, IPV4_TRANSLATED)
# RFC 8215: each site maps it as it likes (into private networks, too).
NAT64_LOCAL_USE = ipaddress.IPv6Network("64:ff9b:1::/48")


def embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """Every IPv4 address this IPv6 address carries (none for most)."""
    found = [address.ipv4_mapped, address.sixtofour, *(address.teredo or ())]
    if any(address in prefix for prefix in LOW_32_BITS):
        found.append(ipaddress.IPv4Address(int(address) & 0xFFFF_FFFF))
    return [ipv4 for ipv4 in found if ipv4 is not None]


def _reachable(address: IPAddress) -> bool:
    """The stdlib's table of special-purpose ranges (IANA's registries)."""
    return address.is_global and not address.is_multicast


def _public_ipv6(address: ipaddress.IPv6Address) -> bool:
    if address in NAT64_LOCAL_USE:
        return False
    # ::ffff:0:0/96 is in the table as a whole: the IPv4 address alone decides
    # (::ffff:93.184.215.14 is as public as 93.184.215.14).
    if address.ipv4_mapped is None and not _reachable(address):
        return False
    return all(_reachable(ipv4) for ipv4 in embedded_ipv4(address))


def public(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address):
        return _public_ipv6(address)
    return _reachable(address)


def resolve(host: str, port: int, allow_private: bool) -> list[str]:
    """The addresses to connect to; raises Disallowed."""
    if not 0 < port < 65536:  # port 0 is no destination, private or not
        raise Disallowed(f"the port {port} cannot be connected to")
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
    # `is None`, not `or`: port 0 must reach resolve() and be refused there,
    # not turn silently into the default.
    return parts.hostname or "", default if parts.port is None else parts.port


def check_destination(url: str, allow_private: bool) -> None:
    """At registration: 422 for a URL the sender would refuse to call."""
    if allow_private:
        return  # nothing to refuse: no lookup (tests, on-premises)
    host, port = port_of(url)
    try:
        resolve(host, port, allow_private)
    except Disallowed as exc:
        raise ValidationFailed(str(exc), field="url") from None
