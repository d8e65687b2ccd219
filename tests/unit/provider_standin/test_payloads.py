"""Callback bodies and record-info replies have the provider's shapes, and our own parsers read them."""

from datetime import UTC, datetime

import msgspec
import pytest

from schemas.events import Stage
from schemas.polling import parse_record_info, polled_event
from schemas.provider import parse_callback
from services.provider_standin.payloads import callback_body, format_time, record_info_body
from tests.unit.provider_standin.support import BASE, task_with

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def test_first_has_one_finished_track_and_one_with_empty_audio_url() -> None:
    """`first`: track 1 has audio and a duration; track 2 has audio_url "" and only a stream link."""
    task = task_with(steps=2)
    body = callback_body(task, "first", base_url=BASE)
    finished, unfinished = body["data"]["data"]
    assert (body["code"], body["data"]["callbackType"], body["data"]["task_id"]) == (200, "first", task.task_id)
    assert finished["audio_url"] == f"{BASE}/files/{task.task_id}/{task.tracks[0].id}.mp3"
    assert finished["duration"] == 3.0
    assert (unfinished["audio_url"], unfinished["source_audio_url"]) == ("", "")
    assert "duration" not in unfinished
    assert unfinished["stream_audio_url"] == f"{BASE}/stream/{task.task_id}/{task.tracks[1].id}"
    assert [t["image_url"].rsplit(".", 1)[1] for t in body["data"]["data"]] == ["jpeg", "png"]


def test_text_has_no_tracks_and_complete_has_both_finished() -> None:
    """`text` carries an empty list; `complete` carries both tracks with durations."""
    task = task_with(steps=3)
    assert callback_body(task, "text", base_url=BASE)["data"]["data"] == []
    complete = callback_body(task, "complete", base_url=BASE)["data"]["data"]
    assert [t["duration"] for t in complete] == [3.0, 4.0]


@pytest.mark.parametrize(
    ("spelling", "data"), [("fail-type=failed fail-data=empty", []), ("fail-type=error fail-data=null", None)]
)
def test_failure_callbacks_use_the_scenarios_spelling(spelling: str, data: list[object] | None) -> None:
    """A failed task's callback carries its code, `failed` or `error`, and `[]` or null data."""
    task = task_with(f"fail=429 {spelling}", steps=1)
    body = callback_body(task, "failed", base_url=BASE)
    assert body["code"] == 429
    assert body["data"]["callbackType"] == spelling.split()[0].split("=")[1]
    assert body["data"]["data"] == data
    assert parse_callback(msgspec.json.encode(body), received_at=NOW).stage == Stage.FAILED


@pytest.mark.parametrize(
    ("time_format", "expected"),
    [("ms", 1758044664461), ("string", "2025-09-16 17:44:24"), ("iso", "2025-09-16T17:44:24.461Z")],
)
def test_create_time_in_each_of_the_providers_formats(time_format: str, expected: int | str) -> None:
    """createTime is written as epoch milliseconds, a plain date-time string or ISO-8601."""
    assert format_time(1758044664461, time_format) == expected


def test_callbacks_and_record_info_tell_the_same_story() -> None:
    """Our receiver's parser and our polling mapping read the stand-in's callback and record-info to equal tracks."""
    task = task_with("time=iso", steps=3)
    callback = parse_callback(msgspec.json.encode(callback_body(task, "complete", base_url=BASE)), received_at=NOW)
    reply = record_info_body(task, base_url=BASE)
    polled = polled_event(parse_record_info(msgspec.json.encode(reply)), received_at=NOW)
    assert polled is not None
    assert polled.tracks == callback.tracks
    assert reply["data"]["response"]["sunoData"][0]["audioUrl"] == callback.tracks[0].audio_url
    assert isinstance(reply["data"]["param"], str)


def test_record_info_follows_the_status_and_reports_errors() -> None:
    """record-info shows PENDING with no tracks at first, and a failure's errorCode and errorMessage after."""
    pending = record_info_body(task_with(), base_url=BASE)["data"]
    assert (pending["status"], pending["response"]["sunoData"], pending["errorCode"]) == ("PENDING", None, None)
    failed = record_info_body(task_with("fail=sensitive", steps=1), base_url=BASE)["data"]
    assert (failed["status"], failed["errorCode"]) == ("SENSITIVE_WORD_ERROR", 400)
    assert "sensitive" in failed["errorMessage"]
