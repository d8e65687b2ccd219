"""Generated files: real MP3s of the reported length once finished, real covers, links that expire or crawl."""

import io
import time

import mutagen

from services.provider_standin.files import serve_file
from services.provider_standin.limits import SlidingWindow
from services.provider_standin.tasks import TaskStore
from tests.unit.provider_standin.support import task_with


def stored(scenario: str = "", steps: int = 3) -> tuple[TaskStore, str, list[str]]:
    store = TaskStore()
    task = task_with(scenario, steps=steps, durations=(3.5, 5.25))
    store.add(task)
    return store, task.task_id, [track.id for track in task.tracks]


async def test_audio_is_a_real_mp3_as_long_as_reported() -> None:
    """The audio link serves an MP3 whose measured length is within 0.2 s of the duration in the callback."""
    store, task_id, tracks = stored()
    served = await serve_file(store, task_id, f"{tracks[1]}.mp3")
    assert (served.status, served.content_type) == (200, "audio/mpeg")
    measured = mutagen.File(io.BytesIO(served.body)).info.length
    assert abs(measured - 5.25) < 0.2


async def test_covers_are_a_real_jpeg_and_a_real_png() -> None:
    """The first track's cover is a JPEG, the second's a PNG, each with its format's signature."""
    store, task_id, tracks = stored()
    jpeg = await serve_file(store, task_id, f"{tracks[0]}.jpeg")
    png = await serve_file(store, task_id, f"{tracks[1]}.png")
    assert (jpeg.content_type, jpeg.body[:3]) == ("image/jpeg", b"\xff\xd8\xff")
    assert (png.content_type, png.body[:8]) == ("image/png", b"\x89PNG\r\n\x1a\n")
    assert (await serve_file(store, task_id, f"{tracks[0]}.png")).status == 404


async def test_unfinished_audio_is_404_but_its_stream_plays() -> None:
    """Before `complete` the second track's audio link is 404 while its stream link already serves audio."""
    store, task_id, tracks = stored(steps=2)
    assert (await serve_file(store, task_id, f"{tracks[1]}.mp3")).status == 404
    assert (await serve_file(store, task_id, tracks[1], stream=True)).status == 200
    assert (await serve_file(store, "nope", f"{tracks[0]}.mp3")).status == 404


async def test_expired_links_answer_403() -> None:
    """With `expire=0` a finished track's links answer 403 as soon as they are ready."""
    store, task_id, tracks = stored("expire=0")
    store.get(task_id).tracks[0].ready_at = time.time() - 1  # type: ignore[union-attr]
    served = await serve_file(store, task_id, f"{tracks[0]}.mp3")
    assert served.status == 403
    assert b"AccessDenied" in served.body


def test_sliding_window_allows_the_limit_per_window() -> None:
    """The limiter allows `limit` events per window per key, and again once the window has passed."""
    now = [0.0]
    window = SlidingWindow(2, 1.0, clock=lambda: now[0])
    assert [window.allow("a"), window.allow("a"), window.allow("a"), window.allow("b")] == [True, True, False, True]
    now[0] = 1.01
    assert window.allow("a")
