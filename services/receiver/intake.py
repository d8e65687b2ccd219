"""From an HTTP request to a durable event: checks in the order the provider's requests need them."""

import hashlib
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import structlog

from schemas.events import CallbackQuarantined
from schemas.provider import CallbackError, parse_callback
from services.receiver.auth import Authenticator
from services.receiver.delivery import Delivery
from services.receiver.metrics import ReceiverMetrics
from services.receiver.outgoing import callback_message, quarantine_message
from services.receiver.spool import SpoolFull

log = structlog.get_logger("receiver")
_JSON_TYPE = re.compile(r"^application/([\w.+-]+\+)?json\s*(;.*)?$", re.IGNORECASE)
_SAFE_TASK_ID = re.compile(rb'"task_id"\s*:\s*"([A-Za-z0-9_-]{1,128})"')


@dataclass(frozen=True, slots=True)
class Incoming:
    """One callback request, independent of the web framework that carried it."""

    content_type: str
    content_length: int | None
    token: str | None
    timestamp: str | None
    signature: str | None
    read: Callable[[int], Awaitable[bytes | None]]
    """Reads the body, or returns None as soon as it exceeds the given limit."""


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    body: dict[str, str]
    reason: str
    headers: dict[str, str] | None = None


RECEIVED = Reply(200, {"status": "received"}, "ok")


def refuse(status: int, reason: str, detail: str, headers: dict[str, str] | None = None) -> Reply:
    return Reply(status, {"error": reason, "detail": detail}, reason, headers)


@dataclass(frozen=True, slots=True)
class Intake:
    authenticator: Authenticator
    delivery: Delivery
    metrics: ReceiverMetrics
    max_body_bytes: int
    ce_source: str
    topic_prefix: str = ""

    async def handle(self, request: Incoming) -> Reply:
        """Check, validate and deliver one callback; the reply says what became of it."""
        content_type = request.content_type
        if not _JSON_TYPE.match(content_type):
            return refuse(415, "unsupported_media_type", f"expected application/json, got {content_type!r}")
        too_long = request.content_length is not None and request.content_length > self.max_body_bytes
        body = None if too_long else await request.read(self.max_body_bytes)
        if body is None:
            return refuse(413, "body_too_large", f"callback bodies are limited to {self.max_body_bytes} bytes")
        failure = self.authenticator.check(
            token=request.token,
            timestamp=request.timestamp,
            signature=request.signature,
            body=body,
            now=time.time(),
        )
        if failure is not None:
            return refuse(401, failure.value, "missing or wrong callback credentials: check the callback URL")
        return await self._accept(body, content_type)

    async def _accept(self, body: bytes, content_type: str) -> Reply:
        received_at = datetime.now(UTC)
        try:
            event = parse_callback(body, received_at=received_at)
        except CallbackError as exc:
            return await self._quarantine(body, content_type, str(exc), received_at)
        structlog.contextvars.bind_contextvars(task_id=event.task_id, stage=event.stage.value, code=event.code)
        try:
            outcome = await self.delivery.deliver(
                callback_message(event, source=self.ce_source, topic_prefix=self.topic_prefix)
            )
        except SpoolFull as exc:
            return refuse(503, "spool_full", f"{exc}; Kafka is unreachable, retry later", {"Retry-After": "30"})
        if outcome == "duplicate":
            self.metrics.duplicates.inc()
        self.metrics.count_callback(event.stage.value, event.code, outcome.value)
        structlog.contextvars.bind_contextvars(delivery=outcome.value)
        return RECEIVED

    async def _quarantine(self, body: bytes, content_type: str, error: str, received_at: datetime) -> Reply:
        found = _SAFE_TASK_ID.search(body)
        event = CallbackQuarantined(
            event_id=hashlib.sha256(body).hexdigest()[:32],
            task_id=found.group(1).decode() if found else "",
            body=body,
            content_type=content_type,
            error=error,
            received_at=received_at,
        )
        try:
            await self.delivery.deliver(
                quarantine_message(event, source=self.ce_source, topic_prefix=self.topic_prefix)
            )
        except SpoolFull:
            return refuse(503, "spool_full", "the spool is full and the body could not be kept; retry later")
        return refuse(400, "invalid_body", f"{error} (the body was kept in quarantine)")
