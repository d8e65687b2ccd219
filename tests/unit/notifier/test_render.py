"""Every sample payload becomes the expected Slack blocks, email subject, text and HTML."""

from __future__ import annotations

from typing import Any

import pytest

from services.notifier.blocks import digest_blocks, escape, notice_blocks, notice_text
from services.notifier.notice import Archive, ArchivedTrackLinks, archived_notice, notice_for_callback
from services.notifier.render import duration_text, html, plain_text, subject
from tests.unit.notifier.fakes import PAYLOADS, callback

EXPECTED: dict[str, dict[str, Any]] = {
    "complete": {
        "subject": "[vocals] Complete: Neon Rain",
        "header": ":white_check_mark: Complete: Neon Rain",
        "lines": ["1. Neon Rain · 2:44 · synthwave, female vocals, dreamy",
                  "2. Neon Rain · 3:11 · synthwave, female vocals, dreamy",
                  "   Stream: https://stream.example.org/9b2f6c1e", "   Audio: https://files.example.org/0d4e8f2a.mp3",
                  "   Cover: https://files.example.org/9b2f6c1e.jpeg"],
        "images": ["https://files.example.org/9b2f6c1e.jpeg", "https://files.example.org/0d4e8f2a.jpeg"],
    },
    "complete-string-time": {
        "subject": "[vocals] Complete: Hush",
        "header": ":white_check_mark: Complete: Hush",
        "lines": ["1. Hush · 1:05 · lullaby", "2. Hush · 0:15 · lullaby", "   Audio: https://files.example.org/6f7a8b9c.mp3"],
        "images": ["https://files.example.org/5e6f7a8b.jpeg", "https://files.example.org/6f7a8b9c.jpeg"],
    },
    "first": {
        "subject": "[vocals] First track ready: Neon Rain",
        "header": ":headphones: First track ready: Neon Rain",
        "lines": ["1. Neon Rain · 2:44 · synthwave, female vocals, dreamy",
                  "2. Neon Rain · synthwave, female vocals, dreamy",
                  "   Stream: https://stream.example.org/0d4e8f2a"],
        "images": ["https://files.example.org/9b2f6c1e.jpeg", "https://files.example.org/0d4e8f2a.jpeg"],
    },
    "text": {
        "subject": "[vocals] Lyrics ready: task 3f1c9a7e52b04d6e8a9b0c1d2e3f4a5b",
        "header": ":memo: Lyrics ready: task 3f1c9a7e52b04d6e8a9b0c1d2e3f4a5b",
        "lines": ["Task 3f1c9a7e52b04d6e8a9b0c1d2e3f4a5b · text · provider code 200: "
                  "Text generation completed successfully."],
        "images": [],
    },
    "error-null-data": {
        "subject": "[vocals] Failed: task deadbeef0123456789abcdef01234567 (code 400)",
        "header": ":x: Failed: task deadbeef0123456789abcdef01234567",
        "lines": ["What happened: The provider rejected the content or a parameter of the request."],
        "images": [],
    },
    "failed-credits": {
        "subject": "[vocals] Failed: task c0ffee0123456789abcdef0123456789 (code 429)",
        "header": ":x: Failed: task c0ffee0123456789abcdef0123456789",
        "lines": ["What happened: The provider account is out of credits.",
                  "Task c0ffee0123456789abcdef0123456789 · failed · provider code 429: "
                  "Insufficient credits to generate vocals."],
        "images": [],
    },
    "failed-unknown-code": {
        "subject": "[vocals] Failed: task facade0123456789abcdef0123456789 (code 531)",
        "header": ":x: Failed: task facade0123456789abcdef0123456789",
        "lines": ["What happened: Generation failed and the provider refunded the credits.",
                  "What to do: Submit the task again; nothing was charged for this attempt."],
        "images": [],
    },
}  # fmt: skip


def test_every_sample_payload_has_an_expected_message() -> None:
    """A payload added to tests/payloads without an expected message here fails the suite."""
    assert sorted(path.stem for path in PAYLOADS.glob("*.json")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_payload_renders_the_expected_email(name: str) -> None:
    """The email subject names stage and title, and the text part carries the expected lines."""
    notice = notice_for_callback(callback(name), archive=None, known_title=None)

    assert subject(notice) == EXPECTED[name]["subject"]
    lines = plain_text(notice).splitlines()
    for line in EXPECTED[name]["lines"]:
        assert line in lines
    assert EXPECTED[name]["subject"].removeprefix("[vocals] ").split(" (code")[0] in html(notice)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_payload_renders_the_expected_slack_blocks(name: str) -> None:
    """The Block Kit message has the stage header, the task context and one cover image per track."""
    notice = notice_for_callback(callback(name), archive=None, known_title=None)

    blocks = notice_blocks(notice)

    assert blocks[0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": EXPECTED[name]["header"], "emoji": True},
    }
    assert notice.task_id in blocks[1]["elements"][0]["text"]
    images = [block["accessory"]["image_url"] for block in blocks if "accessory" in block]
    assert images == EXPECTED[name]["images"]
    assert notice_text(notice) == f"{EXPECTED[name]['header'].split(' ', 1)[1]} (task {notice.task_id})"


def test_failure_blocks_explain_the_code_and_what_to_do() -> None:
    """A 429 failure's blocks say the account is out of credits and to top up."""
    notice = notice_for_callback(callback("failed-credits"), archive=None, known_title=None)

    explanation = notice_blocks(notice)[2]["text"]["text"]

    assert explanation == (
        "*What happened:* The provider account is out of credits.\n"
        "*What to do:* Top up the account's credits, then submit the task again."
    )


def test_sensitive_word_error_is_a_content_block() -> None:
    """A polled SENSITIVE_WORD_ERROR is shown as content blocked, with advice to reword, not as a code."""
    event = callback("failed-credits", code=400, callback_type="SENSITIVE_WORD_ERROR", msg="sensitive words")
    notice = notice_for_callback(event, archive=None, known_title=None)

    section = notice_blocks(notice)[2]["text"]["text"]

    assert notice.content_blocked
    assert section.startswith(":no_entry: *Content blocked*\n*What happened:* The provider's content filter refused")
    assert "Reword the flagged content" in plain_text(notice)


def test_archive_links_come_first_and_the_task_page_is_linked() -> None:
    """With archived copies known, each track links its archived copy first and the task page is linked."""
    event = callback("complete")
    archive = Archive(
        url="http://archive.test/tasks/t",
        tracks={event.tracks[0].id: ArchivedTrackLinks(audio_url="http://archive.test/a.mp3", cover_url=None)},
    )
    notice = notice_for_callback(event, archive=archive, known_title=None)

    blocks = notice_blocks(notice)

    assert blocks[2]["text"]["text"].split("\n")[1].startswith("<http://archive.test/a.mp3|Archived copy> · ")
    assert "Archived copy" not in blocks[3]["text"]["text"]
    assert blocks[-1]["text"]["text"] == "<http://archive.test/tasks/t|Open the task in the archive>"
    assert '<a href="http://archive.test/tasks/t">Open the task in the archive</a>' in html(notice)


def test_archived_notice_keeps_the_tracks_and_adds_durable_links() -> None:
    """The follow-up to `complete` is the same message with stage `archived` and the archive's links."""
    announced = notice_for_callback(callback("complete"), archive=None, known_title=None)
    track = announced.tracks[1].id
    archive = Archive(url="http://a.test/t", tracks={track: ArchivedTrackLinks(audio_url="http://a.test/1.mp3")})

    notice = archived_notice(announced, event_id="task-archived-1", archive=archive)

    assert (notice.event_id, notice.stage, notice.title) == ("task-archived-1", "archived", "Neon Rain")
    assert notice.tracks[1].archived_audio_url == "http://a.test/1.mp3"
    assert notice.tracks[1].stream_url == announced.tracks[1].stream_url
    assert subject(notice) == "[vocals] Archived: Neon Rain"


def test_provider_strings_cannot_inject_markup() -> None:
    """A title with Slack and HTML control characters is escaped in both renderings."""
    event = callback("complete")
    hostile = event.tracks[0].__class__(id=event.tracks[0].id, title="<!channel> & <b>x</b>")
    notice = notice_for_callback(callback("complete", tracks=(hostile,)), archive=None, known_title=None)

    assert "&lt;!channel&gt; &amp; &lt;b&gt;x&lt;/b&gt;" in notice_blocks(notice)[2]["text"]["text"]
    assert "<b>x</b>" not in html(notice)
    assert escape("a<b>&") == "a&lt;b&gt;&amp;"


def test_digest_lists_each_notice_with_its_best_link() -> None:
    """A digest has a header counting the notices and one line per notice with its first listen link."""
    notices = [
        notice_for_callback(callback(name), archive=None, known_title=None) for name in ("first", "failed-credits")
    ]

    blocks = digest_blocks(notices)

    assert blocks[0]["text"]["text"] == ":bell: 2 task updates"
    assert blocks[1]["text"]["text"] == (
        ":headphones: *First track ready* · Neon Rain · `3f1c9a7e52b04d6e8a9b0c1d2e3f4a5b` · "
        "<https://stream.example.org/9b2f6c1e|Listen>"
    )
    assert (
        blocks[2]["text"]["text"]
        == ":x: *Failed* · task c0ffee0123456789abcdef0123456789 · `c0ffee0123456789abcdef0123456789`"
    )


def test_digest_of_a_long_burst_stays_within_slack_block_limit() -> None:
    """A digest of 100 notices shows 40 and counts the other 60, within Slack's 50-block limit."""
    notice = notice_for_callback(callback("first"), archive=None, known_title=None)

    blocks = digest_blocks([notice] * 100)

    assert len(blocks) == 42
    assert blocks[-1]["elements"][0]["text"].startswith("…and 60 more")


@pytest.mark.parametrize(("seconds", "text"), [(163.88, "2:44"), (14.96, "0:15"), (3600.0, "60:00"), (None, None)])
def test_duration_text(seconds: float | None, text: str | None) -> None:
    """Durations read as minutes:seconds, rounded to the second."""
    assert duration_text(seconds) == text
