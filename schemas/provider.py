"""The provider's callback JSON as it really arrives, and its normalisation into `CallbackReceived`.

Quirks stop here and never reach the bus: `failed` or `error`, `data` as `[]` or `null`, any integer code,
a missing `duration`, an empty `audio_url`, `createTime` in three formats, and fields nobody documented.
"""

import hashlib
from datetime import datetime
from typing import Any

import msgspec

from schemas.events import CallbackReceived, Origin, SafeId, Stage, Track
from schemas.timestamps import parse_provider_time

_STAGES = {"text": Stage.TEXT, "first": Stage.FIRST, "complete": Stage.COMPLETE}
_FAILURE_TYPES = {"failed", "error"}
_URL_FIELDS = ("audio_url", "source_audio_url", "stream_audio_url", "image_url")
_TEXT_FIELDS = ("prompt", "model_name", "title", "tags")


class ProviderTrack(msgspec.Struct, frozen=True):
    """One entry of `data.data[]`, snake_case as callbacks send it (polling's camelCase is elsewhere)."""

    id: SafeId
    audio_url: str | None = None
    source_audio_url: str | None = None
    stream_audio_url: str | None = None
    image_url: str | None = None
    prompt: str | None = None
    model_name: str | None = None
    title: str | None = None
    tags: str | None = None
    createTime: int | float | str | None = None  # the provider's spelling
    duration: float | None = None


class ProviderCallbackData(msgspec.Struct, frozen=True):
    callbackType: str  # the provider's spelling
    task_id: SafeId
    data: list[ProviderTrack] | None = None


class ProviderCallback(msgspec.Struct, frozen=True):
    """The envelope every generate endpoint (Add Vocals and its siblings) posts to `callBackUrl`."""

    code: int
    data: ProviderCallbackData
    msg: str = ""


_KNOWN_ENVELOPE = frozenset(f.name for f in msgspec.structs.fields(ProviderCallback))
_KNOWN_DATA = frozenset(f.name for f in msgspec.structs.fields(ProviderCallbackData))
_KNOWN_TRACK = frozenset(f.name for f in msgspec.structs.fields(ProviderTrack))
_json_decoder = msgspec.json.Decoder()
_canonical_encoder = msgspec.json.Encoder(order="sorted")


class CallbackError(ValueError):
    """The body is not a callback we understand; the message names the offending field."""


def parse_callback(body: bytes, *, received_at: datetime) -> CallbackReceived:
    """Decode and normalise one callback body, or raise CallbackError saying what is wrong and where."""
    try:
        document = _json_decoder.decode(body)
    except msgspec.DecodeError as exc:
        raise CallbackError(f"body is not valid JSON: {exc}") from None
    try:
        envelope = msgspec.convert(document, ProviderCallback)
    except msgspec.ValidationError as exc:
        raise CallbackError(str(exc)) from None
    raw_data = document["data"]
    raw_tracks = raw_data.get("data") or []
    tracks = tuple(
        _track(t, raw, i) for i, (t, raw) in enumerate(zip(envelope.data.data or (), raw_tracks, strict=True))
    )
    return CallbackReceived(
        event_id=event_id_for(document),
        task_id=envelope.data.task_id,
        stage=stage_for(envelope.code, envelope.data.callbackType),
        callback_type=envelope.data.callbackType,
        code=envelope.code,
        msg=envelope.msg,
        tracks=tracks,
        received_at=received_at,
        origin=Origin.CALLBACK,
        extra=_unknown(document, _KNOWN_ENVELOPE),
        data_extra=_unknown(raw_data, _KNOWN_DATA),
    )


def stage_for(code: int, callback_type: str) -> Stage:
    """Any code other than 200 is a failure, whatever the type says."""
    if code != 200 or callback_type.lower() in _FAILURE_TYPES:
        return Stage.FAILED
    return _STAGES.get(callback_type.lower(), Stage.UNKNOWN)


def event_id_for(document: Any) -> str:
    """The same callback delivered twice (whitespace and key order aside) gets the same id."""
    return hashlib.sha256(_canonical_encoder.encode(document)).hexdigest()[:32]


def _track(track: ProviderTrack, raw: dict[str, Any], index: int) -> Track:
    created_at = None
    if track.createTime is not None:
        try:
            created_at = parse_provider_time(track.createTime)
        except ValueError as exc:
            raise CallbackError(f"{exc} - at `$.data.data[{index}].createTime`") from None
    links = {name: getattr(track, name) or None for name in _URL_FIELDS}
    texts = {name: getattr(track, name) for name in _TEXT_FIELDS}
    return Track(
        id=track.id,
        created_at=created_at,
        duration=track.duration,
        extra=_unknown(raw, _KNOWN_TRACK),
        **links,
        **texts,
    )


def _unknown(raw: dict[str, Any], known: frozenset[str]) -> dict[str, Any]:
    return {key: value for key, value in raw.items() if key not in known}
