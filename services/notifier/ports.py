"""The notifier's ports: where notices go (`Channel`), and the two ways a send can fail.

A channel either accepts a notice, or raises `TransientSendError` (worth retrying: rate limits, 5xx,
timeouts, refused connections, SMTP 4xx) or `PermanentError` (the same message can never succeed:
a rejected payload, an archived channel, an SMTP 5xx), which sends the event to vocals.dlq.
"""

from collections.abc import Sequence
from typing import NamedTuple, Protocol, runtime_checkable

from services.notifier.notice import Archive, ArchivedTrackLinks, Notice
from services.plumbing.consumer import PermanentError

__all__ = [
    "Channel",
    "DigestChannel",
    "MessageRef",
    "MessageRefs",
    "NotifierStore",
    "PermanentError",
    "TaskState",
    "TransientSendError",
]


class TransientSendError(Exception):
    """A send that may succeed if tried again; `reason` labels the retry metric, `retry_after` is in seconds."""

    def __init__(self, reason: str, detail: str, *, retry_after: float | None = None) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.retry_after = retry_after


class Channel(Protocol):
    """Delivers one notice to people; returns once the far end accepted it."""

    @property
    def name(self) -> str:
        """Stable and low-cardinality: the metric label and the `sent` table's channel column."""
        ...

    async def send(self, notice: Notice) -> None: ...

    async def close(self) -> None: ...


@runtime_checkable
class DigestChannel(Channel, Protocol):
    """A channel that can also deliver a burst of notices as one message."""

    async def send_digest(self, notices: Sequence[Notice]) -> None: ...


class MessageRef(NamedTuple):
    """Where a task's Slack message is: the channel id Slack answered with, and the message's ts."""

    channel: str
    ts: str


class MessageRefs(Protocol):
    """Remembers each task's Slack bot message, so later stages update it instead of posting again."""

    async def message_ref(self, task_id: str) -> MessageRef | None: ...

    async def save_message_ref(self, task_id: str, ref: MessageRef) -> None: ...


class TaskState(NamedTuple):
    """What the notifier knows about a task."""

    stage_rank: int
    """Rank (schemas.events.STAGE_RANK) of the highest stage claimed for announcement."""
    stage_event_id: str | None
    """The event that claimed it: its redelivery may still finish sending; any other event of that rank
    or lower is superseded."""
    notice: Notice | None
    """The last notice claimed, re-rendered with durable links when the task is archived."""
    archived: bool


class NotifierStore(MessageRefs, Protocol):
    """The persistent record of what was sent, per task state, and the archive's links."""

    async def sent_channels(self, event_id: str) -> set[str]: ...

    async def record_sent(self, notice: Notice, channel: str) -> None:
        """Idempotent: recording the same (event, channel) twice keeps the first row."""
        ...

    async def task(self, task_id: str) -> TaskState | None: ...

    async def claim(self, notice: Notice, *, rank: int) -> None:
        """Mark `notice` as the task's announced stage (rank, event id, notice), before any send."""
        ...

    async def archive(self, task_id: str) -> Archive | None:
        """The archive's links for the task, or None if the archiver has said nothing about it."""
        ...

    async def save_archived_track(self, task_id: str, track_id: str, links: ArchivedTrackLinks) -> None: ...

    async def save_task_archived(self, task_id: str, url: str | None) -> None: ...

    async def ping(self) -> None:
        """Raises if the database cannot be reached."""
        ...
