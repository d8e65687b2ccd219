"""What a Slack refusal means for us: retry (and when), or give up with words an operator can act on.

Never put a webhook URL or a token into these messages: both are secrets.
"""

import aiohttp

from services.notifier.ports import PermanentError, TransientSendError

_RATE_LIMITED = frozenset({"ratelimited", "rate_limited"})
_SERVER_SIDE = frozenset({"internal_error", "fatal_error", "service_unavailable", "request_timeout"})
_NEXT_STEPS = {
    "invalid_payload": "the notifier built a message Slack cannot read; report it with this event",
    "invalid_blocks": "the notifier built blocks Slack cannot read; report it with this event",
    "channel_not_found": "the channel is gone or the bot is not in it; fix VOCALS_SLACK_CHANNEL or the webhook",
    "channel_is_archived": "the channel is archived; unarchive it or point the notifier at another channel",
    "is_archived": "the channel is archived; unarchive it or point the notifier at another channel",
    "no_service": "the webhook was removed or disabled; create a new one and set VOCALS_SLACK_WEBHOOK_URL",
    "invalid_auth": "the bot token is not valid; set a current VOCALS_SLACK_BOT_TOKEN",
    "not_authed": "no bot token reached Slack; set VOCALS_SLACK_BOT_TOKEN",
    "token_revoked": "the bot token was revoked; set a current VOCALS_SLACK_BOT_TOKEN",
    "not_in_channel": "invite the bot to the channel named by VOCALS_SLACK_CHANNEL",
}


def refusal(what: str, status: int, error: str, retry_after: str | None) -> Exception:
    """The exception to raise for Slack's answer `status`/`error` to a call described by `what`."""
    if status == 429 or error in _RATE_LIMITED:
        return TransientSendError(
            "rate_limited", f"{what} is rate limited (HTTP {status})", retry_after=_seconds(retry_after)
        )
    if status >= 500 or error in _SERVER_SIDE:
        return TransientSendError("server_error", f"{what} answered HTTP {status} {error}".rstrip())
    if status == 408:
        return TransientSendError("timeout", f"{what} answered HTTP 408")
    next_step = _NEXT_STEPS.get(error, "check the Slack settings, then replay the event from vocals.dlq")
    return PermanentError(f"{what} refused the message: HTTP {status} {error or '(no error code)'}; {next_step}")


def transport_failure(what: str, exc: Exception) -> TransientSendError | None:
    """A timeout or connection problem as a retryable error; None for anything else."""
    if isinstance(exc, TimeoutError):
        return TransientSendError("timeout", f"{what} did not answer in time")
    if isinstance(exc, aiohttp.ClientConnectionError):
        return TransientSendError("connection", f"{what} unreachable ({type(exc).__name__})")
    return None


def _seconds(retry_after: str | None) -> float | None:
    """Retry-After as seconds; Slack sends whole seconds (an HTTP date is treated as unknown)."""
    if retry_after is None or not retry_after.strip().isdigit():
        return None
    return float(retry_after.strip())
