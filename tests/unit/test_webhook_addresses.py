"""Where a webhook may go: public addresses only, unless allowed (SSRF)."""

from __future__ import annotations

import asyncio
import ipaddress
import ssl

import pytest
from pydantic import TypeAdapter, ValidationError

from consumers.webhooks.http import post
from domain.common import WebhookUrl
from domain.errors import ValidationFailed
from infra.webhook_addresses import (
    Disallowed,
    check_destination,
    embedded_ipv4,
    public,
    resolve,
)

PRIVATE = [
    "127.0.0.1",
    "10.1.2.3",
    "172.16.0.1",
    "192.168.1.1",
    "169.254.169.254",  # cloud metadata
    "100.64.0.1",  # carrier-grade NAT
    "0.0.0.0",
    "224.0.0.1",
    "255.255.255.255",
    "192.0.2.1",  # documentation
    "240.0.0.1",  # reserved
    "::1",
    "fe80::1",
    "fc00::1",
    "fd12:3456::1",
    "ff02::1",
    "ff0e::1",  # multicast of global scope
    "::",
    "::ffff:127.0.0.1",
    "::ffff:10.0.0.1",
    "::ffff:169.254.169.254",
]
# IPv6 addresses that carry a non-public IPv4 address: a translator or a
# tunnel on the way would deliver to that one.
EMBEDDING_PRIVATE = [
    "64:ff9b::a9fe:a9fe",  # NAT64 (RFC 6052) of 169.254.169.254
    "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
    "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
    "64:ff9b::c0a8:101",  # NAT64 of 192.168.1.1
    "64:ff9b::6440:1",  # NAT64 of 100.64.0.1
    "64:ff9b::e000:1",  # NAT64 of 224.0.0.1
    "64:ff9b::",  # NAT64 of 0.0.0.0
    "2002:7f00:1::",  # 6to4 of 127.0.0.1
    "2002:a9fe:a9fe::",  # 6to4 of 169.254.169.254
    "2002:a00:1::1",  # 6to4 of 10.0.0.1
    "::127.0.0.1",  # IPv4-compatible
    "::a9fe:a9fe",  # IPv4-compatible 169.254.169.254
    "::ffff:0:7f00:1",  # IPv4-translated (SIIT) 127.0.0.1
    "::ffff:0:a00:1",  # IPv4-translated 10.0.0.1
    "2001:0:7f00:1:8000:ffff:5eb7:2ef1",  # Teredo: server 127.0.0.1
    "2001:0:5db8:d70e:8000:ffff:f5ff:fffe",  # Teredo: client 10.0.0.1
]
# RFC 8215's local-use NAT64 prefix: site-specific, refused whatever it carries.
NAT64_LOCAL_USE = ["64:ff9b:1::a00:1", "64:ff9b:1::5db8:d70e", "64:ff9b:1:ffff::1"]
REFUSED = PRIVATE + EMBEDDING_PRIVATE + NAT64_LOCAL_USE

PUBLIC = [
    "93.184.215.14",
    "93.184.216.34",
    "2606:2800:220:1::1",
    "64:ff9b::5db8:d70e",  # NAT64 of 93.184.215.14
    "::ffff:93.184.215.14",  # IPv4-mapped public address
]

# (IPv6 address, the IPv4 addresses it carries)
EMBEDDED = [
    ("::ffff:7f00:1", ["127.0.0.1"]),
    ("64:ff9b::5db8:d70e", ["93.184.215.14"]),
    ("2002:a9fe:a9fe::", ["169.254.169.254"]),
    ("::a00:1", ["10.0.0.1"]),
    ("::ffff:0:7f00:1", ["127.0.0.1"]),
    ("2001:0:7f00:1:8000:ffff:5eb7:2ef1", ["127.0.0.1", "161.72.209.14"]),
    ("2606:2800:220:1::1", []),
    ("64:ff9b:1::a00:1", []),  # not a form with a fixed place: refused as a whole
]

REFUSED_URLS = [
    "http://[64:ff9b::a9fe:a9fe]/",
    "http://[64:ff9b::7f00:1]/",
    "http://[64:ff9b:1::a00:1]/",
    "http://[2002:7f00:1::]/",
    "http://[2002:a9fe:a9fe::]/",
    "http://[::127.0.0.1]/",
    "http://[::ffff:0:7f00:1]/",
    "http://[::ffff:127.0.0.1]/",
    "http://2130706433/",  # 127.0.0.1 in decimal
    "http://0177.0.0.1/",  # in octal
    "http://0x7f.0.0.1/",  # in hex
    "http://0x7f000001/",
    "http://127.1/",
    "http://localhost/",
    "http://10.0.0.1/",
    "http://172.16.0.1/",
    "http://192.168.0.1/",
    "http://169.254.169.254/latest/meta-data",
    "http://[fc00::1]/",
    "http://[fe80::1]/",
    "http://224.0.0.1/",
    "http://0.0.0.0/",
    "http://100.64.0.1/",
]
MALFORMED_URLS = [
    "http://93.184.215.14:0/",  # port 0
    "https://[2606:2800:220:1::1]:0/",
    "http://93.184.215.14:65536/",
    "https://user:pw@93.184.215.14/",
    "http://user@93.184.215.14/",
    "ftp://93.184.215.14/",
    "file:///etc/passwd",
    "gopher://93.184.215.14/",
]
ACCEPTED_URLS = [
    "http://93.184.215.14/",
    "https://93.184.215.14:8443/hook",
    "http://93.184.215.14:65535/",
    "https://[2606:2800:220:1::1]/",
    "http://[64:ff9b::5db8:d70e]/",
]

url = TypeAdapter(WebhookUrl)


def same(resolved: list[str], address: str) -> bool:
    """getaddrinfo may spell an address otherwise (`::127.0.0.1`)."""
    wanted = ipaddress.ip_address(address)
    return [ipaddress.ip_address(text) for text in resolved] == [wanted]


@pytest.mark.parametrize("address", REFUSED)
def test_non_public_addresses_are_refused(address: str) -> None:
    assert not public(ipaddress.ip_address(address))
    with pytest.raises(Disallowed, match="not a public address"):
        resolve(address, 443, allow_private=False)


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_pass(address: str) -> None:
    assert public(ipaddress.ip_address(address))
    assert same(resolve(address, 443, allow_private=False), address)


@pytest.mark.parametrize(("address", "carried"), EMBEDDED)
def test_the_ipv4_addresses_an_ipv6_address_carries(
    address: str, carried: list[str]
) -> None:
    found = embedded_ipv4(ipaddress.IPv6Address(address))
    assert [str(ipv4) for ipv4 in found] == carried


def test_a_name_that_resolves_to_loopback_is_refused() -> None:
    with pytest.raises(Disallowed, match=r"127\.0\.0\.1|::1"):
        resolve("localhost", 80, allow_private=False)


@pytest.mark.parametrize("address", REFUSED)
def test_allowed_private_addresses_pass(address: str) -> None:
    assert same(resolve(address, 80, allow_private=True), address)


def test_allowed_private_names_pass() -> None:
    assert "127.0.0.1" in resolve("localhost", 80, allow_private=True)


def test_an_unresolvable_name_is_refused() -> None:
    with pytest.raises(Disallowed, match="does not resolve"):
        resolve("no-such-host.invalid", 80, allow_private=False)


@pytest.mark.parametrize("allow_private", [False, True])
def test_port_0_is_refused_even_where_private_addresses_are_allowed(
    allow_private: bool,
) -> None:
    with pytest.raises(Disallowed, match="port 0"):
        resolve("93.184.215.14", 0, allow_private=allow_private)


@pytest.mark.parametrize("address", REFUSED_URLS)
def test_a_url_on_a_non_public_address_is_a_validation_error(address: str) -> None:
    assert url.validate_python(address) == address  # well formed: DNS decides
    with pytest.raises(ValidationFailed) as refused:
        check_destination(address, allow_private=False)
    assert refused.value.extra == {"field": "url"}


@pytest.mark.parametrize("address", REFUSED_URLS)
def test_a_url_on_a_private_address_passes_when_allowed(address: str) -> None:
    check_destination(address, allow_private=True)


@pytest.mark.parametrize("address", MALFORMED_URLS)
def test_a_malformed_url_is_refused_before_any_lookup(address: str) -> None:
    with pytest.raises(ValidationError):
        url.validate_python(address)


@pytest.mark.parametrize("address", ACCEPTED_URLS)
def test_a_url_on_a_public_address_is_accepted(address: str) -> None:
    assert url.validate_python(address) == address
    check_destination(address, allow_private=False)


def deliver(address: str) -> tuple[int | None, str | None]:
    tls = ssl.create_default_context()
    answer = asyncio.run(post(address, {}, b"{}", 5.0, False, tls))
    return answer.status, answer.error


@pytest.mark.parametrize(
    "address",
    [
        "http://[64:ff9b::7f00:1]/",
        "http://[2002:a9fe:a9fe::]/",
        "http://[::ffff:0:7f00:1]/",
        "http://[64:ff9b:1::5db8:d70e]/",
    ],
)
def test_a_delivery_to_a_non_public_address_is_a_failed_attempt(address: str) -> None:
    """A URL recorded before this rule was in place is still never called."""
    status, error = deliver(address)
    assert status is None
    assert error is not None and "not a public address" in error


def test_a_delivery_to_port_0_is_a_failed_attempt_not_port_80() -> None:
    status, error = deliver("http://93.184.215.14:0/")
    assert status is None
    assert error is not None and "port 0" in error
