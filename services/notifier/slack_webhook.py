"""`SlackWebhookChannel`: Block Kit messages through an incoming webhook (slack_sdk's async client).

The webhook answers `200 ok`, or an error code as plain text (`400 invalid_payload`,
`404 channel_not_found`, `410 channel_is_archived`, `404 no_service`, `429` with Retry-After, `5xx`).
slack_sdk's own retry handlers are switched off: retries happen in one place (`delivery`), counted.
"""

import math
from collections.abc import Sequence
from typing import Any

from slack_sdk.webhook.async_client import AsyncWebhookClient

from services.notifier.blocks import digest_blocks, digest_text, notice_blocks, notice_text
from services.notifier.notice import Notice
from services.notifier.slack_errors import refusal, transport_failure

_WHAT = "Slack webhook"


class SlackWebhookChannel:
    """One webhook, one channel; can deliver a burst as a single digest message."""

    name = "slack_webhook"

    def __init__(self, client: AsyncWebhookClient) -> None:
        self._client = client

    @classmethod
    def create(cls, url: str, *, timeout_seconds: float) -> "SlackWebhookChannel":
        return cls(AsyncWebhookClient(url, timeout=math.ceil(timeout_seconds), retry_handlers=[]))

    async def send(self, notice: Notice) -> None:
        await self._post(notice_text(notice), notice_blocks(notice))

    async def send_digest(self, notices: Sequence[Notice]) -> None:
        await self._post(digest_text(notices), digest_blocks(notices))

    async def close(self) -> None:
        """Nothing to release: the client opens a session per request."""

    async def _post(self, text: str, blocks: list[dict[str, Any]]) -> None:
        try:
            response = await self._client.send(text=text, blocks=blocks, unfurl_links=False, unfurl_media=False)
        except Exception as exc:
            if failure := transport_failure(_WHAT, exc):
                raise failure from None
            raise
        if response.status_code == 200:
            return
        retry_after = response.headers.get("Retry-After")  # aiohttp headers: case-insensitive
        raise refusal(_WHAT, response.status_code, response.body.strip(), retry_after)
