"""The `Downloader` port and its httpx adapter: one file, retried on transient failures, measured."""

import time
from dataclasses import dataclass
from typing import Protocol

import httpx
import stamina

from services.archiver.fetch import Fetched, Fetcher, KeyFor, PermanentDownloadError, TransientDownloadError
from services.archiver.guard import Resolver, UrlGuard, system_resolver
from services.archiver.keys import Kind
from services.archiver.metrics import ArchiverMetrics
from services.archiver.settings import ArchiverSettings
from services.archiver.store import ArchiveStore


class Downloader(Protocol):
    """Fetches a link into the store; raises PermanentDownloadError or (retries spent) TransientDownloadError."""

    async def download(self, url: str, kind: Kind, key_for: KeyFor) -> Fetched: ...


@dataclass(frozen=True, kw_only=True)
class RetryPolicy:
    attempts: int = 5
    initial_s: float = 0.5
    max_s: float = 30.0


class HttpxDownloader:
    """Streams with httpx through the SSRF guard into the store, with capped, jittered retries (stamina)."""

    def __init__(self, fetcher: Fetcher, metrics: ArchiverMetrics, policy: RetryPolicy) -> None:
        self._fetcher, self._metrics, self._policy = fetcher, metrics, policy

    async def download(self, url: str, kind: Kind, key_for: KeyFor) -> Fetched:
        started = time.monotonic()
        try:
            fetched = await self._with_retries(url, kind, key_for)
        except PermanentDownloadError as exc:
            self._metrics.downloads.labels(kind=kind, outcome="failed").inc()
            self._metrics.permanent_failures.labels(reason=exc.label).inc()
            raise
        except TransientDownloadError:
            self._metrics.downloads.labels(kind=kind, outcome="error").inc()
            raise
        self._metrics.downloads.labels(kind=kind, outcome="stored").inc()
        self._metrics.download_seconds.labels(kind=kind).observe(time.monotonic() - started)
        self._metrics.download_bytes.labels(kind=kind).observe(fetched.bytes)
        return fetched

    async def _with_retries(self, url: str, kind: Kind, key_for: KeyFor) -> Fetched:
        last: list[str] = []
        retrying = stamina.retry_context(
            on=lambda exc: self._backoff(exc, last),
            attempts=self._policy.attempts,
            timeout=None,
            wait_initial=self._policy.initial_s,
            wait_max=self._policy.max_s,
            wait_jitter=self._policy.initial_s,
        )
        async for attempt in retrying:
            if attempt.num > 1:
                self._metrics.retries.labels(reason=last[-1]).inc()
            with attempt:
                return await self._fetcher.attempt(url, kind, key_for)
        raise AssertionError("stamina ended without a result or an exception")  # pragma: no cover

    def _backoff(self, exc: Exception, last: list[str]) -> bool | float:
        """Retry transient failures only; honour Retry-After up to the backoff cap."""
        if not isinstance(exc, TransientDownloadError):
            return False
        last.append(exc.label)
        if exc.retry_after is not None:
            return min(exc.retry_after, self._policy.max_s)
        return True


def make_client(settings: ArchiverSettings) -> httpx.AsyncClient:
    """The download client: no redirects followed for us (the guard walks them), no proxy from env."""
    timeout = httpx.Timeout(
        connect=settings.download_connect_timeout_s,
        read=settings.download_read_timeout_s,
        write=settings.download_read_timeout_s,
        pool=settings.download_connect_timeout_s,
    )
    return httpx.AsyncClient(
        timeout=timeout,
        follow_redirects=False,
        trust_env=False,
        limits=httpx.Limits(max_connections=4 * settings.max_concurrency, max_keepalive_connections=16),
        headers={"user-agent": "vocals-archiver"},
    )


def make_downloader(
    settings: ArchiverSettings,
    client: httpx.AsyncClient,
    store: ArchiveStore,
    metrics: ArchiverMetrics,
    *,
    resolver: Resolver = system_resolver,
) -> HttpxDownloader:
    fetcher = Fetcher(
        client,
        UrlGuard(settings.allowed_hosts, resolver=resolver),
        store,
        max_bytes=settings.download_max_bytes,
        total_timeout_s=settings.download_total_timeout_s,
    )
    policy = RetryPolicy(
        attempts=settings.download_attempts,
        initial_s=settings.download_retry_initial_s,
        max_s=settings.download_retry_max_s,
    )
    return HttpxDownloader(fetcher, metrics, policy)
