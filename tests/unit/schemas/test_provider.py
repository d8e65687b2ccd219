"""The provider's callbacks, as they really arrive, normalised into CallbackReceived."""

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from schemas.events import Origin, Stage
from schemas.provider import CallbackError, parse_callback

PAYLOADS = Path(__file__).parents[2] / "payloads"
AT = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def parse(name: str):
    return parse_callback((PAYLOADS / name).read_bytes(), received_at=AT)


def envelope(callback_type: str = "complete", code: int = 200, tracks: object = None, **data: object) -> bytes:
    inner = {"callbackType": callback_type, "task_id": "t1", "data": tracks, **data}
    return json.dumps({"code": code, "msg": "m", "data": inner}).encode()


@pytest.mark.parametrize(
    ("name", "stage", "code", "tracks"),
    [
        ("text.json", Stage.TEXT, 200, 0),
        ("first.json", Stage.FIRST, 200, 2),
        ("complete.json", Stage.COMPLETE, 200, 2),
        ("complete-string-time.json", Stage.COMPLETE, 200, 2),
        ("error-null-data.json", Stage.FAILED, 400, 0),
        ("failed-credits.json", Stage.FAILED, 429, 0),
        ("failed-unknown-code.json", Stage.FAILED, 531, 0),
    ],
)
def test_every_sample_payload_normalises(name: str, stage: Stage, code: int, tracks: int) -> None:
    """Each captured payload yields its stage, code and number of tracks, stamped with the receive time."""
    event = parse(name)
    assert (event.stage, event.code, len(event.tracks)) == (stage, code, tracks)
    assert event.received_at == AT
    assert event.origin is Origin.CALLBACK
    assert event.task_id == json.loads((PAYLOADS / name).read_text())["data"]["task_id"]


def test_unfinished_track_in_first_has_no_links_and_no_duration() -> None:
    """An empty audio_url becomes None and a missing duration stays None, while the stream link is kept."""
    unfinished = parse("first.json").tracks[1]
    assert unfinished.audio_url is None
    assert unfinished.source_audio_url is None
    assert unfinished.duration is None
    assert unfinished.stream_audio_url == "https://stream.example.org/0d4e8f2a"


def test_unknown_track_fields_are_kept_verbatim() -> None:
    """Fields the contract does not name travel in `extra`, exactly as sent."""
    track = parse("first.json").tracks[0]
    assert track.extra == {
        "source_stream_audio_url": "https://pipe.example.org/?item_id=9b2f6c1e",
        "source_image_url": "https://cdn.example.org/image_9b2f6c1e.jpeg",
    }


def test_unknown_envelope_and_data_fields_are_kept() -> None:
    """Undocumented keys at the top level and inside `data` are carried on the event."""
    body = json.loads(envelope("text"))
    body["requestId"] = "r-1"
    body["data"]["operation"] = "add-vocals"
    event = parse_callback(json.dumps(body).encode(), received_at=AT)
    assert event.extra == {"requestId": "r-1"}
    assert event.data_extra == {"operation": "add-vocals"}


@pytest.mark.parametrize(
    ("create_time", "expected"),
    [
        (1758044664461, datetime(2025, 9, 16, 17, 44, 24, 461000, tzinfo=UTC)),
        (1758044664, datetime(2025, 9, 16, 17, 44, 24, tzinfo=UTC)),
        ("1758044664461", datetime(2025, 9, 16, 17, 44, 24, 461000, tzinfo=UTC)),
        ("2025-01-01 00:00:00", datetime(2025, 1, 1, tzinfo=UTC)),
        ("2025-01-01T00:00:07Z", datetime(2025, 1, 1, 0, 0, 7, tzinfo=UTC)),
        ("2025-01-01T02:00:07+02:00", datetime(2025, 1, 1, 0, 0, 7, tzinfo=UTC)),
    ],
)
def test_create_time_in_every_format_becomes_utc(create_time: object, expected: datetime) -> None:
    """Epoch ms (or s), the documented string and ISO-8601 all give the same aware UTC instant."""
    event = parse_callback(envelope(tracks=[{"id": "a", "createTime": create_time}]), received_at=AT)
    assert event.tracks[0].created_at == expected


def test_failure_is_any_code_but_200_whatever_the_type_says() -> None:
    """`complete` with code 500 is a failure; `failed` and `error` are failures; an unknown type is kept."""
    assert parse_callback(envelope("complete", code=500), received_at=AT).stage is Stage.FAILED
    assert parse_callback(envelope("failed", code=200), received_at=AT).stage is Stage.FAILED
    assert parse_callback(envelope("ERROR", code=200), received_at=AT).stage is Stage.FAILED
    unknown = parse_callback(envelope("lyrics-aligned"), received_at=AT)
    assert (unknown.stage, unknown.callback_type) == (Stage.UNKNOWN, "lyrics-aligned")


def test_event_id_ignores_formatting_but_not_content() -> None:
    """Re-serialised copies of one callback share an id; a different stage of the same task does not."""
    original = (PAYLOADS / "complete.json").read_bytes()
    reformatted = json.dumps(json.loads(original), indent=4, sort_keys=True).encode()
    assert parse_callback(reformatted, received_at=AT).event_id == parse("complete.json").event_id
    assert parse("first.json").event_id != parse("complete.json").event_id


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "not valid JSON"),
        (b"[]", "Expected `object`, got `array`"),
        (b'{"code": "200", "data": {"callbackType": "text", "task_id": "a"}}', "$.code"),
        (b'{"code": 200, "data": {"callbackType": "text"}}', "task_id"),
        (b'{"code": 200, "data": {"callbackType": "text", "task_id": "../etc"}}', "$.data.task_id"),
        (envelope(tracks=[{"id": "a", "createTime": "yesterday"}]), "$.data.data[0].createTime"),
        (envelope(tracks=[{"id": "a", "duration": "long"}]), "$.data.data[0].duration"),
    ],
)
def test_bad_bodies_are_refused_naming_the_field(body: bytes, message: str) -> None:
    """A body that is not a callback raises CallbackError whose text says what and where."""
    with pytest.raises(CallbackError, match=None) as caught:
        parse_callback(body, received_at=AT)
    assert message in str(caught.value)
