"""The provider's record-info reply, and its normalisation into `CallbackReceived` with `origin=poll`.

Polling tells the same story as callbacks in other words: `status` instead of `callbackType`,
`errorCode`/`errorMessage` instead of `code`/`msg`, and camelCase track fields (`audioUrl`, `modelName`)
where callbacks use snake_case. The reply is rewritten into the callback's shape and normalised by
`schemas.provider.parse_callback`, so a polled fact reaches the bus exactly as a callback would; only
`origin`, `event_id` and `callback_type` (the polled status, verbatim) tell them apart.
"""

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

import msgspec

from schemas.events import CallbackReceived, Origin, SafeId, Stage
from schemas.provider import CallbackError, parse_callback, stage_for

PENDING: Final = "PENDING"
PROGRESS_STATUSES: Final = {"TEXT_SUCCESS": "text", "FIRST_SUCCESS": "first", "SUCCESS": "complete"}
"""Statuses that are progress, with the callback type that announces the same stage."""
FAILURE_CODES: Final = {
    "CREATE_TASK_FAILED": 400,
    "GENERATE_AUDIO_FAILED": 500,
    "CALLBACK_EXCEPTION": 500,
    "SENSITIVE_WORD_ERROR": 400,
}
"""Final failure statuses, with the code used when the reply carries no `errorCode` of its own."""
FINAL_STATUSES: Final = frozenset({"SUCCESS", *FAILURE_CODES})

_KNOWN_DATA = frozenset({"taskId", "status", "response", "errorCode", "errorMessage", "param"})
"""`param` is the original request, callBackUrl (and its secret token) included: never put on the bus."""
_KEPT_SPELLING = frozenset({"createTime"})
"""Callbacks spell it in camelCase too."""
_CAMEL = re.compile(r"(?<=[a-z0-9])([A-Z])")
_canonical = msgspec.json.Encoder(order="sorted")


class RecordInfoError(ValueError):
    """The reply is not a record-info reply we understand; the message says what is wrong and where."""


class RecordInfo(msgspec.Struct, frozen=True):
    """`data` of a record-info reply; `errorCode`/`errorMessage` are null unless the task failed."""

    taskId: SafeId  # the provider's spelling
    status: str
    errorCode: int | None = None
    errorMessage: str | None = None


@dataclass(frozen=True, slots=True)
class RecordInfoReply:
    """A decoded record-info reply: the provider's `code` and `msg`, and `data` typed and as sent."""

    code: int
    msg: str
    info: RecordInfo | None
    document: dict[str, Any]
    """The reply's `data` object exactly as sent (empty when the reply has none)."""

    @property
    def final(self) -> bool:
        return self.info is not None and self.info.status in FINAL_STATUSES


class _Envelope(msgspec.Struct):
    code: int
    msg: str = ""
    data: dict[str, Any] | None = None


def parse_record_info(body: bytes) -> RecordInfoReply:
    """Decode a record-info reply; raises RecordInfoError naming the offending field."""
    try:
        envelope = msgspec.json.decode(body, type=_Envelope)
        info = None if envelope.data is None else msgspec.convert(envelope.data, RecordInfo)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise RecordInfoError(f"not a record-info reply: {exc}") from None
    return RecordInfoReply(code=envelope.code, msg=envelope.msg, info=info, document=envelope.data or {})


def polled_event(reply: RecordInfoReply, *, received_at: datetime) -> CallbackReceived | None:
    """The `CallbackReceived` a callback would have carried for this status; None while still PENDING.

    A status this contract does not know becomes `Stage.UNKNOWN` (code 200): kept and counted, not final.
    """
    info = reply.info
    if info is None:
        raise RecordInfoError(f"record-info reply (code {reply.code}) has no `data`")
    if info.status == PENDING:
        return None
    callback_type, code, msg = _as_callback(info.status, info.errorCode, info.errorMessage)
    data = {"callbackType": callback_type, "task_id": info.taskId, "data": _tracks(reply.document)}
    document = {"code": code, "msg": msg, "data": data}
    try:
        event = parse_callback(msgspec.json.encode(document), received_at=received_at)
    except CallbackError as exc:
        where = str(exc).replace("$.data.data", "$.data.response.sunoData")
        raise RecordInfoError(f"record-info for {info.taskId}: {where}") from None
    return msgspec.structs.replace(
        event,
        event_id=_event_id(reply.document),
        callback_type=info.status,
        origin=Origin.POLL,
        data_extra={_snake(k): v for k, v in reply.document.items() if k not in _KNOWN_DATA},
    )


def stage_of(status: str) -> Stage | None:
    """The stage a status stands for (None while PENDING): the stage `polled_event` would report."""
    if status == PENDING:
        return None
    callback_type, code, _ = _as_callback(status, None, None)
    return stage_for(code, callback_type)


def _as_callback(status: str, error_code: int | None, error_message: str | None) -> tuple[str, int, str]:
    """The callbackType, code and msg a callback would carry for this status."""
    if status in FAILURE_CODES:
        code = error_code if error_code is not None and error_code != 200 else FAILURE_CODES[status]
        return "failed", code, error_message or status
    if status in PROGRESS_STATUSES:
        return PROGRESS_STATUSES[status], 200, error_message or "success"
    return "unknown", 200, error_message or status


def _tracks(document: dict[str, Any]) -> list[dict[str, Any]]:
    response = document.get("response")
    raw = response.get("sunoData") if isinstance(response, dict) else None
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(isinstance(track, dict) for track in raw):
        raise RecordInfoError("record-info `$.data.response.sunoData` is not a list of tracks")
    return [{_snake(key): value for key, value in track.items()} for track in raw]


def _snake(key: str) -> str:
    return key if key in _KEPT_SPELLING else _CAMEL.sub(r"_\1", key).lower()


def _event_id(document: dict[str, Any]) -> str:
    """The same polled state seen twice gets the same id; it never equals a callback's id."""
    relevant = {key: value for key, value in document.items() if key != "param"}
    return hashlib.sha256(b"poll:" + _canonical.encode(relevant)).hexdigest()[:32]
