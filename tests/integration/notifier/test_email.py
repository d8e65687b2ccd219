"""EmailChannel against a real SMTP server (aiosmtpd) on loopback; received messages parsed and checked."""

from __future__ import annotations

from email.message import EmailMessage

import pytest
from prometheus_client import CollectorRegistry

from services.notifier.delivery import RetryPolicy, deliver
from services.notifier.mail import EmailChannel, SmtpServer
from services.notifier.metrics import NotifierMetrics
from services.notifier.notice import notice_for_callback
from services.notifier.pacing import Pacer
from services.notifier.ports import PermanentError, TransientSendError
from tests.fixtures.smtp import SMTP_PASSWORD, SMTP_USER, free_port
from tests.fixtures.smtp import SmtpServer as FakeSmtp
from tests.unit.notifier.fakes import callback

RECIPIENTS = ("team@example.org", "oncall@example.org")


def body_of(message: EmailMessage, subtype: str) -> str:
    part = message.get_body((subtype,))
    assert part is not None, f"no text/{subtype} part"
    content: str = part.get_content()
    return content


def channel(smtp: FakeSmtp, **server: object) -> EmailChannel:
    settings = {"username": SMTP_USER, "password": SMTP_PASSWORD, "starttls": "off", **server}
    return EmailChannel(
        SmtpServer(host=smtp.host, port=smtp.port, timeout_seconds=5, **settings),  # type: ignore[arg-type]
        sender="vocals@example.org",
        recipients=RECIPIENTS,
    )


async def test_a_notice_arrives_as_multipart_text_and_html_to_every_recipient(smtp_server: FakeSmtp) -> None:
    """One authenticated message to both recipients: subject with stage and title, text and HTML parts."""
    notice = notice_for_callback(callback("complete"), archive=None, known_title=None)

    await channel(smtp_server).send(notice)

    [received] = smtp_server.received
    message = received.message
    assert (received.login, received.sender, received.recipients) == (SMTP_USER, "vocals@example.org", list(RECIPIENTS))
    assert message["Subject"] == "[vocals] Complete: Neon Rain"
    assert message["To"] == "team@example.org, oncall@example.org"
    assert message["Message-ID"] == f"<{notice.event_id}.complete@example.org>"
    assert message.get_content_type() == "multipart/alternative"
    text, html = body_of(message, "plain"), body_of(message, "html")
    assert "1. Neon Rain · 2:44 · synthwave, female vocals, dreamy" in text
    assert '<a href="https://stream.example.org/9b2f6c1e">Stream</a>' in html
    assert '<img src="https://files.example.org/9b2f6c1e.jpeg"' in html


async def test_a_failure_email_explains_the_code(smtp_server: FakeSmtp) -> None:
    """A 451 failure email says the source audio could not be downloaded and what to do."""
    notice = notice_for_callback(callback("failed-credits", code=451), archive=None, known_title=None)

    await channel(smtp_server).send(notice)

    message = smtp_server.wait_for(1)[0].message
    assert message["Subject"] == "[vocals] Failed: task c0ffee0123456789abcdef0123456789 (code 451)"
    assert "What happened: The provider could not download the source audio" in body_of(message, "plain")


async def test_a_4xx_reply_is_retried_and_the_message_arrives_once(smtp_server: FakeSmtp) -> None:
    """451 then 250: the notice is delivered once, after one retry counted as smtp_4xx."""
    smtp_server.script("451 4.3.0 Mailbox busy, try again later")
    registry = CollectorRegistry()
    pacer = Pacer(channel(smtp_server), interval=0, digest_threshold=None)
    notice = notice_for_callback(callback("complete"), archive=None, known_title=None)

    await deliver(pacer, notice, policy=RetryPolicy(initial_seconds=0.05), metrics=NotifierMetrics(registry))

    assert (smtp_server.recorder.attempts, len(smtp_server.received)) == (2, 1)
    assert registry.get_sample_value("vocals_notifier_retries_total", {"channel": "email", "reason": "smtp_4xx"}) == 1


async def test_a_5xx_reply_is_permanent(smtp_server: FakeSmtp) -> None:
    """554 on DATA raises PermanentError quoting the server's reply."""
    smtp_server.script("554 5.7.1 Message rejected as spam")
    notice = notice_for_callback(callback("complete"), archive=None, known_title=None)

    with pytest.raises(PermanentError, match=r"refused the message: 554 5\.7\.1 Message rejected as spam"):
        await channel(smtp_server).send(notice)


async def test_a_wrong_password_is_permanent_and_not_logged(smtp_server: FakeSmtp) -> None:
    """An authentication failure (535) is permanent, and the error does not contain the password."""
    notice = notice_for_callback(callback("complete"), archive=None, known_title=None)

    with pytest.raises(PermanentError, match="535") as refused:
        await channel(smtp_server, password="wrong-password").send(notice)

    assert "wrong-password" not in str(refused.value)


async def test_a_refused_connection_is_retryable() -> None:
    """Nothing listening on the SMTP port: a retryable `connection` error."""
    notice = notice_for_callback(callback("complete"), archive=None, known_title=None)
    nowhere = EmailChannel(
        SmtpServer(host="127.0.0.1", port=free_port(), timeout_seconds=2), sender="a@b", recipients=["c@d"]
    )

    with pytest.raises(TransientSendError) as failure:
        await nowhere.send(notice)

    assert failure.value.reason == "connection"
