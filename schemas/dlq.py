"""Headers a consumer adds when it parks a message on `vocals.dlq`: the message itself stays unchanged."""

from typing import Final

REASON: Final = "dlq_reason"
"""Why the message can never succeed, in words an operator can act on."""
SERVICE: Final = "dlq_service"
"""Which consumer gave up on it (its consumer group)."""
TOPIC: Final = "dlq_topic"
PARTITION: Final = "dlq_partition"
OFFSET: Final = "dlq_offset"
FAILED_AT: Final = "dlq_failed_at"
"""RFC 3339 UTC time of the decision."""
