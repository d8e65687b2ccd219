"""The read API (Litestar): tasks with their stage history and tracks, and the stored files themselves."""

import base64
import contextlib
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Litestar, Request, get
from litestar.datastructures import State
from litestar.exceptions import NotFoundException, ValidationException
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.response import Response, Stream
from prometheus_client import CollectorRegistry

from services.archiver.announce import Links
from services.archiver.database import open_repository
from services.archiver.keys import UnsafeIdError, checked_id
from services.archiver.ranges import UnsatisfiableRangeError, requested_range
from services.archiver.reads import Reads, TaskQuery
from services.archiver.records import StageRecord, TaskRecord, TrackRecord
from services.archiver.settings import ArchiverSettings
from services.archiver.store import ArchiveStore, make_store
from services.plumbing.http import Readiness, ops_routes

_FILES = frozenset({"audio", "cover", "source_audio", "metadata"})


class TaskDetail(msgspec.Struct, frozen=True, kw_only=True):
    task: TaskRecord
    history: list[StageRecord]
    tracks: list[TrackRecord]


class TaskPage(msgspec.Struct, frozen=True, kw_only=True):
    tasks: list[TaskRecord]
    next_cursor: str | None
    """Pass as `cursor` for the next page; null on the last page."""


def _safe(value: str, what: str) -> str:
    try:
        return checked_id(value)
    except UnsafeIdError as exc:
        raise ValidationException(f"{what}: {exc}") from None


@get("/tasks/{task_id:str}")
async def task_detail(task_id: FromPath[str], state: State) -> TaskDetail:
    """A task's current stage and status, every callback seen for it, and its tracks with file links."""
    reads: Reads = state.reads
    task = await reads.task(_safe(task_id, "task_id"))
    if task is None:
        raise NotFoundException(f"no task {task_id} has been archived; check the id or wait for its callback")
    links: Links = state.links
    tracks = [_linked(track, links) for track in await reads.tracks_of(task_id)]
    return TaskDetail(task=task, history=await reads.history_of(task_id), tracks=tracks)


@get("/tasks")
async def task_list(
    state: State,
    status: FromQuery[str | None] = None,
    since: FromQuery[datetime | None] = None,
    until: FromQuery[datetime | None] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=500)] = 50,
    cursor: FromQuery[str | None] = None,
) -> TaskPage:
    """Tasks newest first (by first callback), optionally by status and first-seen window [since, until)."""
    query = TaskQuery(status=status, since=since, until=until, limit=limit, after=_decode_cursor(cursor))
    tasks = await state.reads.list_tasks(query)
    last = tasks[-1] if len(tasks) == limit else None
    return TaskPage(tasks=tasks, next_cursor=_encode_cursor(last.first_seen_at, last.task_id) if last else None)


@get("/tracks/{track_id:str}/{kind:str}")
async def track_file(
    track_id: FromPath[str], kind: FromPath[str], request: Request[Any, Any, Any], state: State
) -> Response[Any]:
    """A stored file (audio, cover, source_audio, metadata), streamed, honouring one HTTP Range."""
    if kind not in _FILES:
        raise NotFoundException(f"no such file kind {kind!r}: use one of {', '.join(sorted(_FILES))}")
    track = await state.reads.track(_safe(track_id, "track_id"))
    stored = getattr(track, kind, None) if track is not None else None
    if stored is None:
        raise NotFoundException(f"track {track_id} has no archived {kind}")
    store: ArchiveStore = state.store
    headers = {"accept-ranges": "bytes", "etag": f'"{stored.sha256}"'}
    try:
        wanted = requested_range(request.headers.get("range"), stored.bytes)
    except UnsatisfiableRangeError:
        headers["content-range"] = f"bytes */{stored.bytes}"
        return Response(b"", status_code=416, headers=headers)
    start, end = (wanted.start, wanted.end) if wanted else (0, stored.bytes)
    headers["content-length"] = str(end - start)
    if wanted:
        headers["content-range"] = wanted.content_range(stored.bytes)
    return Stream(
        store.read(stored.key, start, end),
        media_type=stored.content_type,
        status_code=206 if wanted else 200,
        headers=headers,
    )


def _linked(track: TrackRecord, links: Links) -> TrackRecord:
    return msgspec.structs.replace(
        track,
        audio=links.track_file(track.track_id, "audio", track.audio),
        cover=links.track_file(track.track_id, "cover", track.cover),
        source_audio=links.track_file(track.track_id, "source_audio", track.source_audio),
        metadata=links.track_file(track.track_id, "metadata", track.metadata),
    )


def _encode_cursor(at: datetime, task_id: str) -> str:
    return base64.urlsafe_b64encode(msgspec.json.encode([at.isoformat(), task_id])).decode().rstrip("=")


def _decode_cursor(cursor: str | None) -> tuple[datetime, str] | None:
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        at, task_id = msgspec.json.decode(raw, type=tuple[datetime, str])
    except (ValueError, msgspec.DecodeError):
        raise ValidationException("cursor is not one this API returned; start again without it") from None
    return at, task_id


def create_app(
    settings: ArchiverSettings,
    *,
    repository: Reads | None = None,
    store: ArchiveStore | None = None,
    registry: CollectorRegistry | None = None,
    readiness: Readiness | None = None,
) -> Litestar:
    """The read API; without a repository it opens (and on shutdown closes) its own, migrated database."""

    async def database_ready() -> tuple[int, dict[str, object]]:
        try:
            await app.state.reads.ping()
        except Exception as exc:  # readiness reports any failure instead of raising it
            return 503, {"status": "unavailable", "database": f"{type(exc).__name__}: {exc}"[:300]}
        return 200, {"status": "ready"}

    @contextlib.asynccontextmanager
    async def own_database(app: Litestar) -> AsyncIterator[None]:
        async with open_repository(settings.database_url) as opened:
            app.state.reads = opened
            yield

    ops = ops_routes(registry or CollectorRegistry(), readiness or database_ready)
    app = Litestar(
        route_handlers=[task_detail, task_list, track_file, *ops],
        state=State({"reads": repository, "store": store or make_store(settings), "links": Links(settings.public_url)}),
        lifespan=[] if repository is not None else [own_database],
        logging_config=None,  # logging is configured once, by __main__ (structlog), not by Litestar
    )
    return app
