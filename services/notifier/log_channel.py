"""`LogChannel`: when no Slack or SMTP is configured, each notice is logged instead of sent."""

import structlog

from services.notifier.notice import Notice
from services.notifier.render import headline, plain_text

log = structlog.get_logger("notifier.log_channel")


class LogChannel:
    """Writes the notice it would have sent to the log; never fails."""

    name = "log"

    async def send(self, notice: Notice) -> None:
        log.info(
            "would_send",
            task_id=notice.task_id,
            stage=notice.stage,
            headline=headline(notice),
            text=plain_text(notice),
        )

    async def close(self) -> None:
        """Nothing to release."""
