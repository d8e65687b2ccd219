"""`EmailChannel`: multipart (plain text + HTML) notices over SMTP with aiosmtplib.

Message-ID is derived from the event id, so in the rare case a notice is sent twice (a crash between
the server accepting it and the notifier recording it) mail clients can fold the copies.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate

import aiosmtplib
import structlog

from services.notifier.notice import Notice
from services.notifier.ports import PermanentError, TransientSendError
from services.notifier.render import html, plain_text, subject

log = structlog.get_logger("notifier.email")

_STARTTLS = {"auto": None, "require": True, "off": False}


@dataclass(frozen=True, kw_only=True)
class SmtpServer:
    """How to reach and log in to the SMTP server; `starttls` is auto, require or off."""

    host: str
    port: int
    username: str = ""
    password: str = ""
    starttls: str = "auto"
    use_tls: bool = False
    timeout_seconds: float = 10.0


class EmailChannel:
    name = "email"

    def __init__(self, server: SmtpServer, *, sender: str, recipients: Sequence[str]) -> None:
        self._server = server
        self._sender = sender
        self._recipients = tuple(recipients)

    async def send(self, notice: Notice) -> None:
        message = compose(notice, sender=self._sender, recipients=self._recipients)
        server = self._server
        try:
            refused, _reply = await aiosmtplib.send(
                message,
                hostname=server.host,
                port=server.port,
                username=server.username or None,
                password=server.password or None,
                start_tls=_STARTTLS[server.starttls],
                use_tls=server.use_tls,
                timeout=server.timeout_seconds,
            )
        except aiosmtplib.SMTPException as exc:
            raise _failure(server.host, exc) from None
        except OSError as exc:
            raise TransientSendError("connection", f"SMTP server {server.host} unreachable: {exc}") from None
        for recipient, (code, text) in refused.items():
            log.warning("recipient_refused", recipient=recipient, code=code, reply=text, task_id=notice.task_id)

    async def close(self) -> None:
        """Nothing to release: every notice is one SMTP conversation."""


def compose(notice: Notice, *, sender: str, recipients: Sequence[str]) -> EmailMessage:
    """The notice as a multipart/alternative email: text first, HTML preferred by clients that show it."""
    message = EmailMessage()
    message["Subject"] = subject(notice)
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Date"] = formatdate(localtime=False)
    domain = sender.rpartition("@")[2] or "localhost"
    message["Message-ID"] = f"<{notice.event_id}.{notice.stage}@{domain}>"
    message["X-Vocals-Task-Id"] = notice.task_id
    message.set_content(plain_text(notice))
    message.add_alternative(html(notice), subtype="html")
    return message


def _failure(host: str, exc: aiosmtplib.SMTPException) -> Exception:
    """4xx replies, timeouts and dropped connections retry; 5xx replies and unsupported options do not."""
    if isinstance(exc, aiosmtplib.SMTPTimeoutError):
        return TransientSendError("timeout", f"SMTP server {host} did not answer in time")
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        codes = [refused.code for refused in exc.recipients]
        if all(400 <= code < 500 for code in codes):
            return TransientSendError("smtp_4xx", f"SMTP server {host} deferred every recipient: {codes}")
        return PermanentError(f"SMTP server {host} refused every recipient {codes}; check VOCALS_SMTP_TO")
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        if 400 <= exc.code < 500:
            return TransientSendError("smtp_4xx", f"SMTP server {host} answered {exc.code} {exc.message}")
        return PermanentError(
            f"SMTP server {host} refused the message: {exc.code} {exc.message}; "
            "check the SMTP settings (login, sender, size limits), then replay the event from vocals.dlq"
        )
    if isinstance(exc, aiosmtplib.SMTPServerDisconnected | aiosmtplib.SMTPConnectError):
        return TransientSendError("connection", f"SMTP server {host} unreachable: {exc}")
    return PermanentError(f"SMTP server {host} cannot take the message: {exc}; check VOCALS_SMTP_* settings")
