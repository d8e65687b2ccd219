"""Topic names and partition counts: the one place they are spelled."""

from typing import Final

CALLBACKS: Final = "vocals.callbacks"
"""Every provider callback (and every polled status), normalised: `CallbackReceived`, keyed by task_id."""

ARCHIVED: Final = "vocals.archived"
"""What the archiver stored: `TrackArchived` and `TaskArchived`, keyed by task_id."""

DLQ: Final = "vocals.dlq"
"""Messages a consumer can never handle, unchanged, with the reason in `dlq_*` headers."""

QUARANTINE: Final = "vocals.quarantine"
"""Authenticated callbacks whose body could not be understood, kept raw: `CallbackQuarantined`."""

SUBMITTED: Final = "vocals.submitted"
"""Tasks our own tool submitted to the provider: `TaskSubmitted`, keyed by task_id; the reconciler watches them."""

TOPIC_PARTITIONS: Final[dict[str, int]] = {
    CALLBACKS: 6,
    ARCHIVED: 6,
    SUBMITTED: 6,
    DLQ: 1,
    QUARANTINE: 1,
}
"""Partition counts used by `make dev`, compose and the test harness when they create the topics."""
