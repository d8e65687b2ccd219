"""`SlackBotChannel`: one message per task, updated in place (slack_sdk's async Web API client).

The first notice of a task posts a message (chat.postMessage) and remembers its ts; later stages
update it (chat.update), so a channel reads as one line per task moving text -> first -> complete.
A failure is posted in that message's thread. If the message was deleted, a new one is posted.
"""

import math
from collections.abc import Awaitable, Callable
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from services.notifier.blocks import notice_blocks, notice_text
from services.notifier.notice import Notice
from services.notifier.ports import MessageRef, MessageRefs
from services.notifier.slack_errors import refusal, transport_failure

_NO_UNFURL = {"unfurl_links": False, "unfurl_media": False}
_GONE = frozenset({"message_not_found", "cant_update_message", "edit_window_closed"})


class SlackBotChannel:
    name = "slack_bot"

    def __init__(self, client: AsyncWebClient, *, channel: str, refs: MessageRefs) -> None:
        self._client = client
        self._channel = channel
        self._refs = refs

    @classmethod
    def create(
        cls, token: str, *, channel: str, api_url: str, timeout_seconds: float, refs: MessageRefs
    ) -> "SlackBotChannel":
        client = AsyncWebClient(token=token, base_url=api_url, timeout=math.ceil(timeout_seconds), retry_handlers=[])
        return cls(client, channel=channel, refs=refs)

    async def send(self, notice: Notice) -> None:
        ref = await self._refs.message_ref(notice.task_id)
        content: dict[str, Any] = {"text": notice_text(notice), "blocks": notice_blocks(notice)}
        if ref is None:
            await self._post_new(notice.task_id, content)
        elif notice.stage == "failed":
            await _call(
                "chat.postMessage",
                self._client.chat_postMessage,
                channel=ref.channel,
                thread_ts=ref.ts,
                **content,
                **_NO_UNFURL,
            )
        else:
            updated = await _call(
                "chat.update", self._client.chat_update, channel=ref.channel, ts=ref.ts, gone_ok=True, **content
            )
            if updated is None:
                await self._post_new(notice.task_id, content)

    async def close(self) -> None:
        """Nothing to release: the client opens a session per request."""

    async def _post_new(self, task_id: str, content: dict[str, Any]) -> None:
        posted = await _call(
            "chat.postMessage", self._client.chat_postMessage, channel=self._channel, **content, **_NO_UNFURL
        )
        assert posted is not None  # only chat.update may answer "gone"
        await self._refs.save_message_ref(task_id, MessageRef(channel=str(posted["channel"]), ts=str(posted["ts"])))


async def _call(
    method: str, call: Callable[..., Awaitable[AsyncSlackResponse]], *, gone_ok: bool = False, **arguments: Any
) -> AsyncSlackResponse | None:
    """The call's response; None if `gone_ok` and the message to update no longer exists."""
    what = f"Slack Web API {method}"
    try:
        return await call(**arguments)
    except SlackApiError as exc:
        response = exc.response
        error = str(response.get("error", "")) if isinstance(response.data, dict) else ""
        if gone_ok and error in _GONE:
            return None
        raise refusal(what, response.status_code, error, response.headers.get("Retry-After")) from None
    except Exception as exc:
        if failure := transport_failure(what, exc):
            raise failure from None
        raise
