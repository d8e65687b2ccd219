"""One download attempt: walk redirects through the SSRF guard, check the response, stream it to the store."""

import asyncio
import hashlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Final

import httpx

from services.archiver.guard import IPAddress, RefusedUrlError, UrlGuard
from services.archiver.keys import Kind, media_type
from services.archiver.store import ArchiveStore

MAX_REDIRECTS: Final = 5
CHUNK_BYTES: Final = 1024 * 1024
_GONE: Final = frozenset({403, 404, 410})
_TRANSIENT: Final = frozenset({408, 425, 429})


class PermanentDownloadError(Exception):
    """The file can never be fetched as linked (expired link, oversize, wrong type, refused URL)."""

    def __init__(self, reason: str, *, label: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.label = label
        """A low-cardinality word for metrics: gone, oversize, content_type, refused, http_4xx."""


class TransientDownloadError(Exception):
    """Worth another try: a timeout, a broken connection, 5xx, 429 (with its Retry-After if any)."""

    def __init__(self, reason: str, *, label: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.label = label
        self.retry_after = retry_after


@dataclass(frozen=True, kw_only=True)
class Fetched:
    """A file now in the store, with what was measured while it streamed through."""

    key: str
    sha256: str
    bytes: int
    content_type: str


KeyFor = Callable[[str], str]
"""extension -> the object key the file goes to."""


class Fetcher:
    """Makes single attempts; retrying is the caller's business."""

    def __init__(
        self, client: httpx.AsyncClient, guard: UrlGuard, store: ArchiveStore, *, max_bytes: int, total_timeout_s: float
    ) -> None:
        self._client, self._guard, self._store = client, guard, store
        self._max_bytes, self._total_timeout_s = max_bytes, total_timeout_s

    async def attempt(self, url: str, kind: Kind, key_for: KeyFor) -> Fetched:
        """Fetch `url` into the store under `key_for(extension)`, or raise a Permanent/Transient error."""
        try:
            async with asyncio.timeout(self._total_timeout_s):
                response = await self._open(httpx.URL(url))
                try:
                    return await self._store_body(response, kind, key_for)
                finally:
                    await response.aclose()
        except TimeoutError:
            raise TransientDownloadError(
                f"download took longer than {self._total_timeout_s} s", label="timeout"
            ) from None
        except httpx.TimeoutException as exc:
            raise TransientDownloadError(f"timed out: {type(exc).__name__}", label="timeout") from None
        except httpx.TransportError as exc:
            raise TransientDownloadError(f"connection failed: {type(exc).__name__}", label="connection") from None
        except RefusedUrlError as exc:
            raise PermanentDownloadError(str(exc), label="refused") from None

    async def _open(self, url: httpx.URL) -> httpx.Response:
        for hop in range(MAX_REDIRECTS + 1):
            address = await self._guard.check(url)
            response = await self._client.send(_pinned_request(self._client, url, address), stream=True)
            location = response.headers.get("location")
            if not (response.is_redirect and location):
                return response
            await response.aclose()
            if hop == MAX_REDIRECTS:
                break
            url = url.join(location)
        raise PermanentDownloadError(f"more than {MAX_REDIRECTS} redirects", label="redirects")

    async def _store_body(self, response: httpx.Response, kind: Kind, key_for: KeyFor) -> Fetched:
        _check_status(response)
        found = media_type(kind, response.headers.get("content-type"), response.url.path)
        if found is None:
            raise PermanentDownloadError(
                f"{kind} link served {response.headers.get('content-type')!r}, not an accepted {kind} type",
                label="content_type",
            )
        content_type, extension = found
        declared = int(response.headers.get("content-length") or 0)
        if declared > self._max_bytes:
            raise _oversize(self._max_bytes, declared)
        key = key_for(extension)
        tally = _Tally(self._max_bytes)
        await self._store.put_stream(key, tally.through(response.aiter_bytes()), content_type=content_type)
        return Fetched(key=key, sha256=tally.digest.hexdigest(), bytes=tally.bytes, content_type=content_type)


def _pinned_request(client: httpx.AsyncClient, url: httpx.URL, address: IPAddress | None) -> httpx.Request:
    """A GET that connects to the address the guard vetted, while the server still sees (and TLS verifies)
    the link's own host name."""
    if address is None or url.host == str(address):
        return client.build_request("GET", url)
    return client.build_request(
        "GET",
        url.copy_with(host=str(address)),
        headers={"host": url.netloc.decode("ascii")},
        extensions={"sni_hostname": url.host},
    )


class _Tally:
    """Hashes and counts the bytes flowing through, stops the flow past the size cap, and hands the store
    chunks of about a MiB: each chunk crossing into obstore has a fixed cost, so fewer, larger ones."""

    def __init__(self, limit: int) -> None:
        self.digest = hashlib.sha256()
        self.bytes = 0
        self._limit = limit

    async def through(self, chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
        pending: list[bytes] = []
        pending_bytes = 0
        async for chunk in chunks:
            self.bytes += len(chunk)
            if self.bytes > self._limit:
                raise _oversize(self._limit, self.bytes)
            pending.append(chunk)
            pending_bytes += len(chunk)
            if pending_bytes >= CHUNK_BYTES:
                yield self._counted(pending)
                pending, pending_bytes = [], 0
        if pending:
            yield self._counted(pending)

    def _counted(self, pending: list[bytes]) -> bytes:
        joined = b"".join(pending)
        self.digest.update(joined)
        return joined


def _check_status(response: httpx.Response) -> None:
    status = response.status_code
    if status == 200:
        return
    if status in _GONE:
        raise PermanentDownloadError(f"link expired or gone (HTTP {status})", label="gone")
    if status in _TRANSIENT or status >= 500:
        retry_after = retry_after_s(response.headers.get("retry-after"))
        raise TransientDownloadError(f"HTTP {status}", label=f"http_{status // 100}xx", retry_after=retry_after)
    raise PermanentDownloadError(f"unexpected HTTP {status}", label="http_error")


def retry_after_s(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (seconds or an HTTP date), or None if absent or unreadable."""
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _oversize(limit: int, seen: int) -> PermanentDownloadError:
    return PermanentDownloadError(
        f"file is larger than VOCALS_DOWNLOAD_MAX_BYTES={limit} (at least {seen} bytes)", label="oversize"
    )
