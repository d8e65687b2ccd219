"""The generated files behind the links: MP3s only once their track is finished, covers from the start.

A task's scenario can make its links slow (`slow=`) or expire (`expire=`: 403 afterwards, like a signed CDN
link past its date).
"""

import asyncio
import time
from dataclasses import dataclass

from services.provider_standin.media import cover_jpeg, cover_png, mp3_tone
from services.provider_standin.tasks import TaskStore

CONTENT_TYPES = {"mp3": "audio/mpeg", "jpeg": "image/jpeg", "png": "image/png"}
SAMPLE_SECONDS = 10.0


@dataclass(frozen=True)
class Served:
    status: int
    body: bytes
    content_type: str = "text/plain"


async def serve_file(store: TaskStore, task_id: str, name: str, *, stream: bool = False) -> Served:
    """The file `name` (`<track id>.<mp3|jpeg|png>`, or a bare track id for the stream) of a task."""
    track_id, _, extension = name.rpartition(".") if not stream else (name, ".", "mp3")
    task = store.get(task_id)
    track = task.track(track_id) if task is not None else None
    if task is None or track is None or extension not in CONTENT_TYPES:
        return Served(404, b"no such file")
    if task.scenario.slow:
        await asyncio.sleep(task.scenario.slow)
    if extension == "mp3" and track.ready_at is None and not stream:
        return Served(404, b"this track is still being generated")
    if task.link_expired(track, time.time()):
        return Served(403, b"<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>")
    if extension == "mp3":
        body = await asyncio.to_thread(mp3_tone, track.duration, track.frequency)
    elif extension != track.cover:
        return Served(404, b"no such file")
    else:
        body = cover_jpeg() if extension == "jpeg" else cover_png(track.id)
    return Served(200, body, CONTENT_TYPES[extension])


async def sample_instrumental() -> Served:
    """An instrumental to point uploadUrl at in demos and tests."""
    return Served(200, await asyncio.to_thread(mp3_tone, SAMPLE_SECONDS, 330.0), CONTENT_TYPES["mp3"])
