"""The SSRF guard: a link from the internet may only lead to public http(s) addresses.

Every hop of a redirect chain is checked again, with the host resolved here, over IPv4 and IPv6.
"""

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable
from typing import Final

import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], Awaitable[list[str]]]
"""host, port -> the addresses a connection could go to."""

_SCHEMES: Final = {"http": 80, "https": 443}


class RefusedUrlError(Exception):
    """A URL the archiver will not fetch; the message says which rule refused it."""


async def system_resolver(host: str, port: int) -> list[str]:
    """Every address (IPv4 and IPv6) the operating system resolves `host` to."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def is_public(address: IPAddress) -> bool:
    """False for loopback, private, link-local, multicast, reserved, unspecified and other non-global ranges."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour or (address.teredo or (None, None))[1]
        if embedded is not None and not is_public(embedded):
            return False
    refused = (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )
    return address.is_global and not refused


class UrlGuard:
    """Checks one URL (one hop) against the rules and the allow-list."""

    def __init__(self, allowed: Iterable[str] = (), *, resolver: Resolver = system_resolver) -> None:
        self._allowed_hosts, self._allowed_networks = _parse_allowed(allowed)
        self._resolve = resolver

    async def check(self, url: httpx.URL) -> IPAddress | None:
        """The vetted address to connect to if `url` may be fetched (None: a host allowed by name, connect
        as usual); raise RefusedUrlError saying why not.

        The caller must connect to this address rather than resolve the host again: a second lookup could
        answer differently (DNS rebinding) and reach an address nobody checked.
        """
        if url.scheme not in _SCHEMES:
            raise RefusedUrlError(f"refused {_shown(url)}: only http and https links are fetched")
        host = url.host
        if not host:
            raise RefusedUrlError(f"refused {_shown(url)}: the link has no host")
        if host.lower() in self._allowed_hosts:
            return None
        try:
            addresses = [ipaddress.ip_address(host)]
        except ValueError:
            addresses = await self._addresses_of(url, host)
        for address in addresses:
            if not is_public(address) and not self._allowed(address):
                raise RefusedUrlError(
                    f"refused {_shown(url)}: {host} resolves to non-public address {address}; "
                    "add it to VOCALS_ALLOWED_HOSTS only if this deployment really fetches from it"
                )
        return addresses[0]

    async def _addresses_of(self, url: httpx.URL, host: str) -> list[IPAddress]:
        try:
            resolved = await self._resolve(host, url.port or _SCHEMES[url.scheme])
        except OSError as exc:
            raise RefusedUrlError(f"refused {_shown(url)}: cannot resolve {host}: {exc}") from None
        if not resolved:
            raise RefusedUrlError(f"refused {_shown(url)}: {host} resolves to no address")
        return [ipaddress.ip_address(address.split("%")[0]) for address in resolved]

    def _allowed(self, address: IPAddress) -> bool:
        plain = address.ipv4_mapped if isinstance(address, ipaddress.IPv6Address) else None
        return any((plain or address) in network for network in self._allowed_networks)


def _parse_allowed(allowed: Iterable[str]) -> tuple[frozenset[str], tuple[Network, ...]]:
    hosts: set[str] = set()
    networks: list[Network] = []
    for entry in allowed:
        try:
            networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
        except ValueError:
            hosts.add(entry.lower())
    return frozenset(hosts), tuple(networks)


def _shown(url: httpx.URL) -> str:
    """The URL without query or credentials: signed links carry tokens that must not reach the logs."""
    return str(url.copy_with(query=None, fragment=None, username=None, password=None))[:200]
