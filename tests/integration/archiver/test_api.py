"""The read API over a real database and store: task detail, task list, files with Range support."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import socket
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import httpx
import pytest
import uvicorn
from litestar import Litestar

from schemas.events import TaskArchived, TrackArchived
from services.archiver.api import create_app
from services.archiver.app import Archiver, build
from tests.fixtures.fileserver import FileServer
from tests.fixtures.media import COVER_JPEG, mp3_bytes
from tests.integration.archiver.support import Links, archiver_settings, payload


class Collected:
    def __init__(self) -> None:
        self.events: list[TrackArchived | TaskArchived] = []

    async def publish(self, events: Sequence[TrackArchived | TaskArchived]) -> None:
        self.events.extend(events)


TASK = "3f1c9a7e52b04d6e8a9b0c1d2e3f4a5b"
TRACK = "9b2f6c1e-4a7d-4e2b-8c3f-1a2b3c4d5e6f"


@pytest.fixture
async def archived(database_url: str, tmp_path: Path, file_server: FileServer) -> AsyncIterator[Archiver]:
    """An archiver (no Kafka) that has archived the sample task and recorded the failed ones."""
    settings = archiver_settings(database_url=database_url, archive_dir=tmp_path / "archive")
    archiver = await build(settings, publisher=Collected())
    links = Links(file_server)
    for name in ("text", "first", "complete", "failed-credits", "error-null-data"):
        await archiver.service.archive(links.rewrite(payload(name)))
    try:
        yield archiver
    finally:
        await archiver.aclose()


@contextlib.asynccontextmanager
async def serving(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    """The app under a real uvicorn on a free loopback port, in this event loop."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="on"))
    task = asyncio.create_task(server.serve())
    try:
        for _ in range(400):
            if server.started or task.done():
                break
            await asyncio.sleep(0.025)
        assert server.started, "the read API did not start"
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
            yield http
    finally:
        server.should_exit = True
        await task


@pytest.fixture
async def client(archived: Archiver) -> AsyncIterator[httpx.AsyncClient]:
    async with serving(archived.app()) as http:
        yield http


async def test_a_task_shows_its_stage_history_and_tracks_with_links(client: httpx.AsyncClient) -> None:
    """GET /tasks/{id}: stage complete, three history entries in order, two archived tracks with file URLs."""
    body = (await client.get(f"/tasks/{TASK}")).json()
    assert (body["task"]["stage"], body["task"]["status"]) == ("complete", "complete")
    assert [h["stage"] for h in body["history"]] == ["text", "first", "complete"]
    assert [t["status"] for t in body["tracks"]] == ["archived", "archived"]
    first = body["tracks"][0]
    assert first["audio"]["url"] == f"http://127.0.0.1:8081/tracks/{TRACK}/audio"
    assert first["audio"]["bytes"] == len(mp3_bytes(163.88))
    assert first["measured_duration"] == pytest.approx(163.88, abs=0.2)
    assert first["lyrics"][1] == {"section": "Chorus", "lines": ["Sing it back to me"]}


async def test_unknown_and_unsafe_ids_are_404_and_400(client: httpx.AsyncClient) -> None:
    """An unknown id is a 404 saying so; an id with traversal characters is a 400, never a lookup."""
    missing = await client.get("/tasks/0123456789abcdef0123456789abcdef")
    assert missing.status_code == 404
    assert "no task" in missing.json()["detail"]
    assert (await client.get("/tasks/..%2F..%2Fetc")).status_code in (400, 404)
    assert (await client.get("/tasks/a.b")).status_code == 400
    assert (await client.get("/tracks/a.b/audio")).status_code == 400
    assert (await client.get(f"/tracks/{TRACK}/passwd")).status_code == 404


async def test_the_task_list_filters_by_status_and_pages(client: httpx.AsyncClient) -> None:
    """Failed tasks only when asked; limit=1 pages visit all three tasks once, then the cursor runs out."""
    failed = (await client.get("/tasks", params={"status": "failed"})).json()
    assert {t["task_id"] for t in failed["tasks"]} == {
        "c0ffee0123456789abcdef0123456789",
        "deadbeef0123456789abcdef01234567",
    }
    seen, cursor = [], None
    for _ in range(5):
        params = {"limit": "1"} | ({"cursor": cursor} if cursor else {})
        page = (await client.get("/tasks", params=params)).json()
        seen += [t["task_id"] for t in page["tasks"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted({TASK, "c0ffee0123456789abcdef0123456789", "deadbeef0123456789abcdef01234567"})
    assert (await client.get("/tasks", params={"cursor": "garbage!"})).status_code == 400
    assert (await client.get("/tasks", params={"limit": "0"})).status_code == 400


async def test_audio_is_streamed_whole_and_by_range(client: httpx.AsyncClient) -> None:
    """The whole file with its type and length; a Range gives 206 with the exact bytes; outside it 416."""
    audio = mp3_bytes(163.88)
    whole = await client.get(f"/tracks/{TRACK}/audio")
    assert whole.status_code == 200
    assert whole.headers["content-type"] == "audio/mpeg"
    assert whole.headers["accept-ranges"] == "bytes"
    assert hashlib.sha256(whole.content).hexdigest() == hashlib.sha256(audio).hexdigest()
    part = await client.get(f"/tracks/{TRACK}/audio", headers={"Range": "bytes=100-199"})
    assert part.status_code == 206
    assert part.headers["content-range"] == f"bytes 100-199/{len(audio)}"
    assert part.content == audio[100:200]
    tail = await client.get(f"/tracks/{TRACK}/audio", headers={"Range": "bytes=-10"})
    assert tail.content == audio[-10:]
    outside = await client.get(f"/tracks/{TRACK}/audio", headers={"Range": f"bytes={len(audio)}-"})
    assert outside.status_code == 416
    assert outside.headers["content-range"] == f"bytes */{len(audio)}"


async def test_the_cover_and_sidecar_are_served_with_their_types(client: httpx.AsyncClient) -> None:
    """The cover comes back byte for byte as image/jpeg; the sidecar is JSON describing the track."""
    cover = await client.get(f"/tracks/{TRACK}/cover")
    assert (cover.headers["content-type"], cover.content) == ("image/jpeg", COVER_JPEG.read_bytes())
    sidecar = (await client.get(f"/tracks/{TRACK}/metadata")).json()
    assert sidecar["track"]["id"] == TRACK
    assert sidecar["measured"]["format"] == "mp3"


async def test_ops_endpoints_answer(client: httpx.AsyncClient) -> None:
    """/healthz is ok, /readyz sees the database, /metrics exposes the archiver's counters."""
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    assert (await client.get("/readyz")).status_code == 200
    metrics = (await client.get("/metrics")).text
    assert 'vocals_archiver_downloads_total{kind="audio",outcome="stored"} 2.0' in metrics


async def test_a_standalone_read_api_opens_its_own_database(database_url: str, tmp_path: Path) -> None:
    """create_app without a repository migrates and opens the database at start-up and answers 404s."""
    app = create_app(archiver_settings(database_url=database_url, archive_dir=tmp_path / "archive"))
    async with serving(app) as test_client:
        assert (await test_client.get(f"/tasks/{TASK}")).status_code == 404
        assert (await test_client.get("/readyz")).status_code == 200
