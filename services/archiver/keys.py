"""Object keys, built only from validated ids, and the content types each kind of file may have."""

import re
from enum import StrEnum
from typing import Final

_SAFE_ID: Final = re.compile(r"[A-Za-z0-9_-]{1,128}")


class Kind(StrEnum):
    """What a stored file is to its track; also the `kind` label of the download metrics."""

    AUDIO = "audio"
    COVER = "cover"
    SOURCE_AUDIO = "source_audio"
    METADATA = "metadata"


class UnsafeIdError(ValueError):
    """An id that could escape its directory (`/`, `..`, control characters): never used as a path."""


AUDIO_TYPES: Final[dict[str, str]] = {
    "audio/mpeg": "mp3",
    "audio/mp3": "mp3",
    "audio/wav": "wav",
    "audio/x-wav": "wav",
    "audio/wave": "wav",
    "audio/mp4": "m4a",
    "audio/x-m4a": "m4a",
    "audio/aac": "aac",
    "audio/ogg": "ogg",
    "audio/flac": "flac",
}
IMAGE_TYPES: Final[dict[str, str]] = {
    "image/jpeg": "jpeg",
    "image/jpg": "jpeg",
    "image/png": "png",
    "image/webp": "webp",
}
ACCEPTED: Final[dict[Kind, dict[str, str]]] = {
    Kind.AUDIO: AUDIO_TYPES,
    Kind.SOURCE_AUDIO: AUDIO_TYPES,
    Kind.COVER: IMAGE_TYPES,
}
_GENERIC_TYPES: Final = frozenset({"application/octet-stream", "binary/octet-stream"})
_CANONICAL: Final = {"audio/mp3": "audio/mpeg", "image/jpg": "image/jpeg"}


def checked_id(value: str) -> str:
    """`value` if it is a safe id (letters, digits, `_`, `-`; 1-128 characters), else UnsafeIdError."""
    if not _SAFE_ID.fullmatch(value):
        raise UnsafeIdError(f"refusing id {value[:80]!r}: only letters, digits, '_' and '-' may name a file")
    return value


def object_key(task_id: str, track_id: str, kind: Kind, extension: str) -> str:
    """`<task_id>/<track_id>.<ext>`; the source audio gets `.source.<ext>` so it never clashes."""
    stem = f"{checked_id(task_id)}/{checked_id(track_id)}"
    if not re.fullmatch(r"[a-z0-9]{1,8}", extension):
        raise UnsafeIdError(f"refusing extension {extension!r}")
    suffix = f".source.{extension}" if kind is Kind.SOURCE_AUDIO else f".{extension}"
    return stem + suffix


def media_type(kind: Kind, header: str | None, url_path: str) -> tuple[str, str] | None:
    """(canonical content type, extension) for a response, or None when `kind` may not have it.

    A generic `application/octet-stream` is accepted when the URL's own extension names an accepted type.
    """
    accepted = ACCEPTED[kind]
    content_type = (header or "").split(";")[0].strip().lower()
    if content_type in accepted:
        return _CANONICAL.get(content_type, content_type), accepted[content_type]
    if content_type in _GENERIC_TYPES or not content_type:
        suffix = url_path.rsplit(".", 1)[-1].lower() if "." in url_path.rsplit("/", 1)[-1] else ""
        for candidate, extension in accepted.items():
            if extension == suffix or (suffix == "jpg" and extension == "jpeg"):
                return _CANONICAL.get(candidate, candidate), extension
    return None
