"""Object keys come only from safe ids; content types map to the right extension or are refused."""

import pytest

from services.archiver.keys import Kind, UnsafeIdError, checked_id, media_type, object_key


@pytest.mark.parametrize(
    "unsafe",
    ["", "..", "../etc", "a/b", "a\\b", "a\x00b", "line\nbreak", "x" * 129, "café", "a.b", " space"],
)
def test_unsafe_ids_are_refused(unsafe: str) -> None:
    """Anything but 1-128 letters, digits, '_' and '-' is refused, so it can never name a path."""
    with pytest.raises(UnsafeIdError, match="refusing id"):
        checked_id(unsafe)


def test_keys_follow_the_task_track_kind_layout() -> None:
    """Audio, cover, sidecar and source audio of one track never share a key."""
    task, track = "3f1c9a7e52b04d6e8a9b0c1d2e3f4a5b", "9b2f6c1e-4a7d-4e2b-8c3f-1a2b3c4d5e6f"
    assert object_key(task, track, Kind.AUDIO, "mp3") == f"{task}/{track}.mp3"
    assert object_key(task, track, Kind.COVER, "jpeg") == f"{task}/{track}.jpeg"
    assert object_key(task, track, Kind.METADATA, "json") == f"{task}/{track}.json"
    assert object_key(task, track, Kind.SOURCE_AUDIO, "mp3") == f"{task}/{track}.source.mp3"


def test_a_key_refuses_an_unsafe_track_id_or_extension() -> None:
    """Neither the id nor the extension can smuggle a path separator into the key."""
    with pytest.raises(UnsafeIdError):
        object_key("task", "../../escape", Kind.AUDIO, "mp3")
    with pytest.raises(UnsafeIdError):
        object_key("task", "track", Kind.AUDIO, "mp3/../../x")


@pytest.mark.parametrize(
    ("kind", "header", "path", "expected"),
    [
        (Kind.AUDIO, "audio/mpeg", "/x", ("audio/mpeg", "mp3")),
        (Kind.AUDIO, "audio/mp3", "/x", ("audio/mpeg", "mp3")),
        (Kind.AUDIO, "audio/wav", "/x", ("audio/wav", "wav")),
        (Kind.AUDIO, "Audio/MPEG; charset=binary", "/x", ("audio/mpeg", "mp3")),
        (Kind.COVER, "image/jpeg", "/x", ("image/jpeg", "jpeg")),
        (Kind.COVER, "image/png", "/x", ("image/png", "png")),
        (Kind.AUDIO, "application/octet-stream", "/a/song.mp3", ("audio/mpeg", "mp3")),
        (Kind.COVER, "binary/octet-stream", "/a/cover.jpg", ("image/jpeg", "jpeg")),
        (Kind.AUDIO, None, "/a/song.wav", ("audio/wav", "wav")),
        (Kind.AUDIO, "text/html", "/a/song.mp3", None),
        (Kind.AUDIO, "image/jpeg", "/a/x.jpeg", None),
        (Kind.COVER, "audio/mpeg", "/x.mp3", None),
        (Kind.AUDIO, "application/octet-stream", "/a/download", None),
    ],
)
def test_content_types_map_to_extensions(
    kind: Kind, header: str | None, path: str, expected: tuple[str, str] | None
) -> None:
    """Accepted types get their canonical type and extension; a generic type falls back on the link's name."""
    assert media_type(kind, header, path) == expected
