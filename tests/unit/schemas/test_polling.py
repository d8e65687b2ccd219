"""record-info replies become the same CallbackReceived a callback would have carried, marked origin=poll."""

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from schemas.events import Origin, Stage
from schemas.polling import FINAL_STATUSES, RecordInfoError, parse_record_info, polled_event, stage_of
from schemas.provider import parse_callback

PAYLOADS = Path(__file__).parents[2] / "payloads"
NOW = datetime(2025, 9, 16, 17, 50, tzinfo=UTC)
TASK = "3f1c9a7e52b04d6e8a9b0c1d2e3f4a5b"


def camel(track: dict[str, Any]) -> dict[str, Any]:
    return {re.sub(r"_([a-z])", lambda m: m.group(1).upper(), key): value for key, value in track.items()}


def reply(status: str, tracks: list[dict[str, Any]] | None = None, **data: Any) -> bytes:
    body = {
        "taskId": TASK,
        "parentMusicId": "",
        "param": json.dumps({"prompt": "p", "callBackUrl": "https://r.example/cb?token=SECRET"}),
        "response": {"taskId": TASK, "sunoData": tracks},
        "status": status,
        "type": "ADD_VOCALS",
        "operationType": "add_vocals",
        "errorCode": None,
        "errorMessage": None,
        **data,
    }
    return json.dumps({"code": 200, "msg": "success", "data": body}).encode()


def callback_tracks(name: str) -> list[dict[str, Any]]:
    tracks: list[dict[str, Any]] = json.loads((PAYLOADS / name).read_bytes())["data"]["data"]
    return tracks


@pytest.mark.parametrize(("status", "payload"), [("SUCCESS", "complete.json"), ("FIRST_SUCCESS", "first.json")])
def test_polled_tracks_equal_the_callbacks_tracks(status: str, payload: str) -> None:
    """The camelCase tracks of a poll normalise to exactly the Track values of the snake_case callback."""
    sent = callback_tracks(payload)
    from_callback = parse_callback((PAYLOADS / payload).read_bytes(), received_at=NOW)
    event = polled_event(parse_record_info(reply(status, [camel(t) for t in sent])), received_at=NOW)
    assert event is not None
    assert event.tracks == from_callback.tracks
    assert (event.stage, event.code, event.origin) == (from_callback.stage, 200, Origin.POLL)
    assert event.callback_type == status
    assert event.task_id == TASK


def test_unfinished_track_keeps_its_stream_link_and_has_no_audio() -> None:
    """In FIRST_SUCCESS the second track's empty audioUrl becomes None and its duration stays unknown."""
    event = polled_event(
        parse_record_info(reply("FIRST_SUCCESS", [camel(t) for t in callback_tracks("first.json")])), received_at=NOW
    )
    assert event is not None
    unfinished = event.tracks[1]
    assert (unfinished.audio_url, unfinished.duration) == (None, None)
    assert unfinished.stream_audio_url == "https://stream.example.org/0d4e8f2a"
    assert event.tracks[0].extra["source_stream_audio_url"] == "https://pipe.example.org/?item_id=9b2f6c1e"


@pytest.mark.parametrize(
    ("status", "error_code", "expected_code"),
    [
        ("SENSITIVE_WORD_ERROR", None, 400),
        ("CREATE_TASK_FAILED", 429, 429),
        ("GENERATE_AUDIO_FAILED", None, 500),
        ("GENERATE_AUDIO_FAILED", 531, 531),
        ("CALLBACK_EXCEPTION", None, 500),
    ],
)
def test_failure_statuses_are_final_failures(status: str, error_code: int | None, expected_code: int) -> None:
    """Every failure status becomes a FAILED event with the reply's errorCode, or a failure code if it has none."""
    body = reply(status, None, errorCode=error_code, errorMessage="went wrong")
    parsed = parse_record_info(body)
    event = polled_event(parsed, received_at=NOW)
    assert event is not None
    assert (event.stage, event.code, event.msg, event.tracks) == (Stage.FAILED, expected_code, "went wrong", ())
    assert parsed.final
    assert status in FINAL_STATUSES
    assert stage_of(status) == Stage.FAILED


def test_pending_is_nothing_to_publish_and_progress_is_not_final() -> None:
    """PENDING maps to no event; TEXT_SUCCESS is a text event that is not final."""
    assert polled_event(parse_record_info(reply("PENDING")), received_at=NOW) is None
    text = parse_record_info(reply("TEXT_SUCCESS"))
    event = polled_event(text, received_at=NOW)
    assert event is not None
    assert event.stage == Stage.TEXT
    assert not text.final
    assert [stage_of(s) for s in ("PENDING", "TEXT_SUCCESS", "FIRST_SUCCESS", "SUCCESS")] == [
        None,
        Stage.TEXT,
        Stage.FIRST,
        Stage.COMPLETE,
    ]


def test_unknown_status_is_kept_as_unknown_not_final() -> None:
    """A status the contract does not know yet becomes Stage.UNKNOWN with code 200, and polling goes on."""
    parsed = parse_record_info(reply("QUEUED_AGAIN"))
    event = polled_event(parsed, received_at=NOW)
    assert event is not None
    assert (event.stage, event.code, event.callback_type, parsed.final) == (Stage.UNKNOWN, 200, "QUEUED_AGAIN", False)


def test_extra_fields_are_snake_cased_and_the_request_never_reaches_the_bus() -> None:
    """Unknown data fields are kept in snake_case; `param` (it holds the callback token) is dropped."""
    event = polled_event(parse_record_info(reply("SUCCESS", [], newField=1)), received_at=NOW)
    assert event is not None
    assert event.data_extra == {
        "parent_music_id": "",
        "type": "ADD_VOCALS",
        "operation_type": "add_vocals",
        "new_field": 1,
    }
    assert "SECRET" not in json.dumps(event.data_extra)


def test_event_id_is_stable_for_the_same_state_and_differs_between_states() -> None:
    """Polling the same state twice gives one event id; another status gives another."""
    first = polled_event(parse_record_info(reply("TEXT_SUCCESS")), received_at=NOW)
    again = polled_event(parse_record_info(reply("TEXT_SUCCESS")), received_at=datetime.now(UTC))
    done = polled_event(parse_record_info(reply("SUCCESS", [])), received_at=NOW)
    assert first is not None
    assert again is not None
    assert done is not None
    assert first.event_id == again.event_id != done.event_id


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"<html>", "not a record-info reply"),
        (json.dumps({"code": 200, "data": {"status": "SUCCESS"}}).encode(), "taskId"),
        (reply("SUCCESS", [{"id": "x", "createTime": "yesterday"}]), "sunoData"),
    ],
)
def test_unreadable_replies_say_what_is_wrong(body: bytes, message: str) -> None:
    """A reply that is not record-info, or a track with a bad time, raises RecordInfoError naming the problem."""
    with pytest.raises(RecordInfoError, match=message):
        polled_event(parse_record_info(body), received_at=NOW)
