"""The SSRF guard, with a hand-written resolver: which addresses and schemes are refused, and the allow-list."""

import httpx
import pytest

from services.archiver.guard import RefusedUrlError, UrlGuard


def resolving_to(*addresses: str) -> UrlGuard:
    async def resolve(host: str, port: int) -> list[str]:
        return list(addresses)

    return UrlGuard(resolver=resolve)


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.9.9.9",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.0.10",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",  # noqa: S104 - an address to refuse, not one to bind
        "224.0.0.251",
        "240.0.0.1",
        "255.255.255.255",
        "192.0.2.1",
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "fd12:3456::1",
        "ff02::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "2002:7f00:1::1",
        "64:ff9b::a00:1",
        "2001:db8::1",
    ],
)
async def test_non_public_addresses_are_refused(address: str) -> None:
    """A host resolving to loopback, private, link-local, multicast, reserved or documentation space is refused."""
    with pytest.raises(RefusedUrlError, match="non-public address"):
        await resolving_to(address).check(httpx.URL("https://cdn.example.org/a.mp3"))


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2e", "8.8.8.8"])
async def test_public_addresses_pass(address: str) -> None:
    """Global unicast addresses over IPv4 or IPv6 are fetched."""
    await resolving_to(address).check(httpx.URL("https://cdn.example.org/a.mp3"))


async def test_one_private_address_among_public_ones_is_enough_to_refuse() -> None:
    """DNS answering a public and a private address is refused: the connection could go to either."""
    with pytest.raises(RefusedUrlError, match=r"10\.0\.0\.1"):
        await resolving_to("93.184.215.14", "10.0.0.1").check(httpx.URL("https://cdn.example.org/a.mp3"))


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.org/a.mp3", "gopher://x/", "data:,x"])
async def test_only_http_and_https_are_fetched(url: str) -> None:
    """Other schemes are refused before any resolution."""
    with pytest.raises(RefusedUrlError, match="only http and https"):
        await resolving_to("93.184.215.14").check(httpx.URL(url))


async def test_literal_ip_hosts_are_checked_without_resolving() -> None:
    """`http://[::1]/` is refused even by a resolver that would answer a public address."""
    with pytest.raises(RefusedUrlError, match="::1"):
        await resolving_to("93.184.215.14").check(httpx.URL("http://[::1]:8080/a.mp3"))


async def test_an_unresolvable_host_is_refused() -> None:
    """A host that does not resolve is refused with the resolver's reason."""

    async def fail(host: str, port: int) -> list[str]:
        raise OSError("Name or service not known")

    with pytest.raises(RefusedUrlError, match="cannot resolve"):
        await UrlGuard(resolver=fail).check(httpx.URL("https://nowhere.invalid/a.mp3"))


async def test_the_allow_list_admits_listed_networks_and_hosts_only() -> None:
    """CIDR entries admit addresses inside them; a named host is admitted by name; others stay refused."""

    async def resolve(host: str, port: int) -> list[str]:
        return {"files.internal": ["10.2.3.4"], "other.internal": ["10.9.9.9"]}[host]

    guard = UrlGuard(["10.2.0.0/16", "minio.local", "127.0.0.1"], resolver=resolve)
    await guard.check(httpx.URL("http://files.internal/a.mp3"))
    await guard.check(httpx.URL("http://minio.local:9000/a.mp3"))
    await guard.check(httpx.URL("http://127.0.0.1:8000/a.mp3"))
    await guard.check(httpx.URL("http://[::ffff:127.0.0.1]:8000/a.mp3"))
    with pytest.raises(RefusedUrlError, match="VOCALS_ALLOWED_HOSTS"):
        await guard.check(httpx.URL("http://other.internal/a.mp3"))
    with pytest.raises(RefusedUrlError):
        await guard.check(httpx.URL("http://[::1]/a.mp3"))


async def test_the_refusal_never_shows_the_query_string() -> None:
    """Signed links carry tokens in the query: the error message drops it."""
    with pytest.raises(RefusedUrlError) as caught:
        await resolving_to("10.0.0.1").check(httpx.URL("https://cdn.example.org/a.mp3?X-Signature=secret"))
    assert "secret" not in str(caught.value)
