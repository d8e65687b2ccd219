"""Downloads against a real local HTTP server: streaming, checksums, retries, permanent failures, SSRF."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from services.archiver.download import HttpxDownloader, make_client, make_downloader
from services.archiver.fetch import Fetched, PermanentDownloadError, TransientDownloadError
from services.archiver.keys import Kind
from services.archiver.metrics import ArchiverMetrics
from services.archiver.settings import ArchiverSettings
from services.archiver.store import ObstoreArchive, make_store
from tests.fixtures.fileserver import FileServer
from tests.fixtures.media import COVER_JPEG, mp3_bytes
from tests.integration.archiver.support import archiver_settings

MP3 = mp3_bytes(3.0)


class Harness:
    def __init__(self, downloader: HttpxDownloader, store: ObstoreArchive, registry: CollectorRegistry) -> None:
        self.downloader, self.store, self.registry = downloader, store, registry

    async def fetch(self, url: str, kind: Kind = Kind.AUDIO, stem: str = "task/track") -> Fetched:
        return await self.downloader.download(url, kind, lambda extension: f"{stem}.{extension}")

    def metric(self, name: str, **labels: str) -> float:
        return self.registry.get_sample_value(name, labels) or 0.0


def make_harness(tmp_path: Path, **overrides: object) -> Harness:
    settings: ArchiverSettings = archiver_settings(database_url="unused", archive_dir=tmp_path / "archive", **overrides)
    registry = CollectorRegistry()
    store = make_store(settings)
    downloader = make_downloader(settings, make_client(settings), store, ArchiverMetrics(registry))
    return Harness(downloader, store, registry)


@pytest.fixture
def harness(tmp_path: Path) -> Harness:
    return make_harness(tmp_path)


async def test_streams_a_real_mp3_into_the_store_with_its_checksum(harness: Harness, file_server: FileServer) -> None:
    """The file lands under its key with the sha256 and size of the bytes served, typed audio/mpeg."""
    url = file_server.serve("song.mp3", body=MP3, content_type="audio/mpeg")
    fetched = await harness.fetch(url)
    assert fetched == Fetched(
        key="task/track.mp3", sha256=hashlib.sha256(MP3).hexdigest(), bytes=len(MP3), content_type="audio/mpeg"
    )
    assert await harness.store.size("task/track.mp3") == len(MP3)
    assert harness.metric("vocals_archiver_downloads_total", kind="audio", outcome="stored") == 1


async def test_a_cover_gets_its_extension_from_the_content_type(harness: Harness, file_server: FileServer) -> None:
    """A JPEG served as image/jpeg is stored as .jpeg; the same bytes as image/png would be .png."""
    url = file_server.serve("cover", body=COVER_JPEG.read_bytes(), content_type="image/jpeg")
    png_url = file_server.serve("cover", body=COVER_JPEG.read_bytes(), content_type="image/png; charset=binary")
    assert (await harness.fetch(url, Kind.COVER)).key == "task/track.jpeg"
    assert (await harness.fetch(png_url, Kind.COVER)).key == "task/track.png"


async def test_500_then_200_is_retried_until_it_succeeds(harness: Harness, file_server: FileServer) -> None:
    """Two 500s, then the file: three requests, two retries counted, the right bytes stored."""
    url = file_server.serve("flaky.mp3", body=MP3, content_type="audio/mpeg", fail_first=2)
    fetched = await harness.fetch(url)
    assert fetched.sha256 == hashlib.sha256(MP3).hexdigest()
    assert file_server.hits(url) == 3
    assert harness.metric("vocals_archiver_download_retries_total", reason="http_5xx") == 2


async def test_429_with_retry_after_is_retried(harness: Harness, file_server: FileServer) -> None:
    """A 429 carrying Retry-After is transient: retried, then stored."""
    url = file_server.serve(
        "busy.mp3", body=MP3, content_type="audio/mpeg", fail_first=1, fail_status=429, retry_after="0"
    )
    assert (await harness.fetch(url)).bytes == len(MP3)
    assert harness.metric("vocals_archiver_download_retries_total", reason="http_4xx") == 1


@pytest.mark.parametrize("status", [404, 410, 403])
async def test_gone_links_fail_permanently_without_retrying(
    harness: Harness, file_server: FileServer, status: int
) -> None:
    """403/404/410 are permanent: one request, a reason naming the status, nothing stored."""
    url = file_server.serve("gone.mp3", status=status)
    with pytest.raises(PermanentDownloadError, match=f"HTTP {status}") as caught:
        await harness.fetch(url)
    assert caught.value.label == "gone"
    assert file_server.hits(url) == 1
    assert await harness.store.size("task/track.mp3") is None
    assert harness.metric("vocals_archiver_permanent_failures_total", reason="gone") == 1


async def test_a_link_that_expires_answers_403_the_second_time(harness: Harness, file_server: FileServer) -> None:
    """A signed link served once, then 403 like an expired one: the first fetch stores, the second is permanent."""
    url = file_server.serve("expiring.mp3", body=MP3, content_type="audio/mpeg", expires_after=1)
    assert (await harness.fetch(url, stem="t/one")).bytes == len(MP3)
    with pytest.raises(PermanentDownloadError, match="HTTP 403"):
        await harness.fetch(url, stem="t/two")


async def test_a_stalled_download_times_out_and_is_transient(tmp_path: Path, file_server: FileServer) -> None:
    """A server that stops sending is cut off by the read timeout, retried, then reported as transient."""
    harness = make_harness(tmp_path, download_read_timeout_s=0.2, download_attempts=2)
    url = file_server.serve("slow.mp3", body=MP3 * 4, content_type="audio/mpeg", stall_s=3.0)
    with pytest.raises(TransientDownloadError, match="timed out"):
        await harness.fetch(url)
    assert file_server.hits(url) == 2
    assert await harness.store.size("task/track.mp3") is None


async def test_the_total_timeout_bounds_a_slow_but_steady_download(tmp_path: Path, file_server: FileServer) -> None:
    """A server slower than the total timeout is cut off even though every read is on time."""
    harness = make_harness(tmp_path, download_total_timeout_s=0.3, download_attempts=1)
    url = file_server.serve("crawl.mp3", body=MP3, content_type="audio/mpeg", delay_s=1.0)
    with pytest.raises(TransientDownloadError, match=r"longer than 0\.3 s"):
        await harness.fetch(url)


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
async def test_an_oversize_file_is_refused_and_nothing_is_stored(
    tmp_path: Path, file_server: FileServer, declared: bool
) -> None:
    """Over the size cap is permanent, whether the server says so up front or only while streaming."""
    harness = make_harness(tmp_path, download_max_bytes=len(MP3) // 2)
    url = file_server.serve("big.mp3", body=MP3, content_type="audio/mpeg", chunked=not declared)
    with pytest.raises(PermanentDownloadError, match="larger than VOCALS_DOWNLOAD_MAX_BYTES") as caught:
        await harness.fetch(url)
    assert caught.value.label == "oversize"
    assert await harness.store.size("task/track.mp3") is None
    assert [path for path in (tmp_path / "archive").rglob("*") if path.is_file()] == []


async def test_a_lying_content_length_is_caught_while_streaming(tmp_path: Path, file_server: FileServer) -> None:
    """A server that claims a small size but sends more is stopped at the cap."""
    harness = make_harness(tmp_path, download_max_bytes=1000)
    url = file_server.serve("liar.mp3", body=MP3, content_type="audio/mpeg", chunked=True)
    with pytest.raises(PermanentDownloadError, match="at least"):
        await harness.fetch(url)


async def test_the_wrong_content_type_is_permanent(harness: Harness, file_server: FileServer) -> None:
    """An HTML page where audio was expected (a login wall, an error page) is refused, not stored."""
    url = file_server.serve("page.mp3", body=b"<html>sign in</html>", content_type="text/html")
    with pytest.raises(PermanentDownloadError, match="'text/html'") as caught:
        await harness.fetch(url)
    assert caught.value.label == "content_type"
    assert await harness.store.size("task/track.mp3") is None


async def test_octet_stream_is_accepted_when_the_link_names_an_audio_file(
    harness: Harness, file_server: FileServer
) -> None:
    """A CDN serving application/octet-stream for a .mp3 link still yields audio/mpeg under .mp3."""
    url = file_server.serve("track.mp3", body=MP3, content_type="application/octet-stream")
    fetched = await harness.fetch(url)
    assert (fetched.key, fetched.content_type) == ("task/track.mp3", "audio/mpeg")


async def test_redirects_are_followed_through_the_guard(harness: Harness, file_server: FileServer) -> None:
    """Two allowed redirect hops lead to the file, which is stored."""
    target = file_server.serve("real.mp3", body=MP3, content_type="audio/mpeg")
    middle = file_server.serve("hop2", redirect_to=target)
    first = file_server.serve("hop1", redirect_to=middle)
    assert (await harness.fetch(first)).bytes == len(MP3)
    assert file_server.hits(target) == 1


async def test_more_than_five_redirects_are_refused(harness: Harness, file_server: FileServer) -> None:
    """A chain of six redirects stops at the fifth hop: the file at its end is never requested."""
    url = file_server.serve("end.mp3", body=MP3, content_type="audio/mpeg")
    target = url
    for _ in range(6):
        url = file_server.serve("hop", redirect_to=url)
    with pytest.raises(PermanentDownloadError, match="more than 5 redirects"):
        await harness.fetch(url)
    assert file_server.hits(target) == 0


@pytest.mark.parametrize(
    "private",
    [
        "http://10.0.0.7/internal.mp3",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:9/x.mp3",
        "http://192.168.1.1/router.mp3",
        "http://[fd00::1]/x.mp3",
        "http://100.64.0.1/x.mp3",
        "http://224.0.0.1/x.mp3",
        "http://[::ffff:127.0.0.2]/x.mp3",
        "file:///etc/passwd",
    ],
)
async def test_a_redirect_to_a_private_address_is_refused(
    harness: Harness, file_server: FileServer, private: str
) -> None:
    """An allowed public-looking hop redirecting to a private, metadata or loopback address is refused."""
    url = file_server.serve("bounce", redirect_to=private)
    with pytest.raises(PermanentDownloadError, match="refused") as caught:
        await harness.fetch(url)
    assert caught.value.label == "refused"
    assert file_server.hits(url) == 1


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1", "localhost", "2130706433", "0x7f.0.0.1", "127.1", "[::1]", "0.0.0.0"],  # noqa: S104
)
async def test_loopback_is_refused_without_the_allow_list(tmp_path: Path, file_server: FileServer, host: str) -> None:
    """Without VOCALS_ALLOWED_HOSTS, every spelling of loopback is refused before any request is made."""
    harness = make_harness(tmp_path, allowed_hosts=())
    served = file_server.serve("song.mp3", body=MP3, content_type="audio/mpeg")
    port = served.split(":")[2].split("/")[0]
    url = served.replace(f"127.0.0.1:{port}", f"{host}:{port}")
    with pytest.raises(PermanentDownloadError, match="refused"):
        await harness.fetch(url)
    assert file_server.hits(served) == 0


async def test_downloads_overlap(harness: Harness, file_server: FileServer) -> None:
    """Two downloads held by the server are both in flight at once (neither waits for the other)."""
    import asyncio

    gate = threading.Event()
    urls = [file_server.serve("held.mp3", body=MP3, content_type="audio/mpeg", hold=gate) for _ in range(2)]
    both = asyncio.gather(*(harness.fetch(url, stem=f"t/{n}") for n, url in enumerate(urls)))
    for _ in range(500):
        if all(file_server.hits(url) == 1 for url in urls):
            break
        await asyncio.sleep(0.01)
    assert [file_server.hits(url) for url in urls] == [1, 1]
    gate.set()
    assert [fetched.bytes for fetched in await both] == [len(MP3), len(MP3)]


async def test_connects_to_the_address_the_guard_vetted(tmp_path: Path, file_server: FileServer) -> None:
    """The download goes to the address the guard checked, not to a second DNS answer (DNS rebinding): a
    name only the guard's resolver knows still downloads, and the server sees the link's own Host."""

    async def vetted_only(host: str, port: int) -> list[str]:
        return ["127.0.0.1"] if host == "files.test" else []

    settings = archiver_settings(database_url="unused", archive_dir=tmp_path / "archive")
    registry = CollectorRegistry()
    store = make_store(settings)
    downloader = make_downloader(
        settings, make_client(settings), store, ArchiverMetrics(registry), resolver=vetted_only
    )
    url = file_server.serve("song.mp3", body=MP3, content_type="audio/mpeg")
    port = url.split("://", 1)[1].split("/", 1)[0].rsplit(":", 1)[1]
    renamed = url.replace("127.0.0.1", "files.test", 1)
    fetched = await downloader.download(renamed, Kind.AUDIO, lambda extension: f"task/track.{extension}")
    assert fetched.sha256 == hashlib.sha256(MP3).hexdigest()
    assert [served.host for served in file_server.log if served.status == 200][-1] == f"files.test:{port}"
