"""Where a webhook may go: public addresses only, unless allowed (SSRF)."""

from __future__ import annotations

import ipaddress

import pytest

from infra.webhook_addresses import Disallowed, public, resolve

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
    "::1",
    "fe80::1",
    "fc00::1",
    "ff02::1",
    "::",
    "::ffff:127.0.0.1",
    "::ffff:10.0.0.1",
]


@pytest.mark.parametrize("address", PRIVATE)
def test_non_public_addresses_are_refused(address: str) -> None:
    assert not public(ipaddress.ip_address(address))
    with pytest.raises(Disallowed):
        resolve(address, 443, allow_private=False)


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:2800:220:1::1"])
def test_public_addresses_pass(address: str) -> None:
    assert resolve(address, 443, allow_private=False) == [address]


def test_a_name_that_resolves_to_loopback_is_refused() -> None:
    with pytest.raises(Disallowed, match=r"127\.0\.0\.1|::1"):
        resolve("localhost", 80, allow_private=False)


def test_allowed_private_addresses_pass() -> None:
    assert "127.0.0.1" in resolve("localhost", 80, allow_private=True)


def test_an_unresolvable_name_is_refused() -> None:
    with pytest.raises(Disallowed, match="does not resolve"):
        resolve("no-such-host.invalid", 80, allow_private=False)
