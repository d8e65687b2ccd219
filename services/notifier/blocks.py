"""A notice (or a digest of notices) as Slack Block Kit blocks and its plain-text fallback. Pure."""

from collections.abc import Sequence
from typing import Any

from services.notifier.explain import explain
from services.notifier.notice import Notice, NoticeTrack
from services.notifier.render import STAGE_LABELS, cover, headline, listen_links, summary, track_line
from services.notifier.settings import NoticeStage

Block = dict[str, Any]

EMOJI: dict[NoticeStage, str] = {
    "text": ":memo:",
    "first": ":headphones:",
    "complete": ":white_check_mark:",
    "failed": ":x:",
    "archived": ":file_cabinet:",
}
_HEADER_MAX = 150
_SECTION_MAX = 3000
_DIGEST_MAX_ITEMS = 40
"""Slack allows 50 blocks per message: a header, 40 items and a closing context stay well inside."""


def notice_blocks(notice: Notice) -> list[Block]:
    """Header (stage and title), task context, failure explanation, one section per track, archive link."""
    blocks: list[Block] = [
        {"type": "header", "text": _plain(f"{EMOJI[notice.stage]} {headline(notice)}", _HEADER_MAX)},
        {"type": "context", "elements": [_mrkdwn(escape(summary(notice)))]},
    ]
    if notice.stage == "failed":
        blocks.extend(_failure(notice))
    blocks.extend(_track_section(track) for track in notice.tracks)
    if notice.archive_url:
        blocks.append({"type": "section", "text": _mrkdwn(link(notice.archive_url, "Open the task in the archive"))})
    return blocks


def notice_text(notice: Notice) -> str:
    """The notification fallback (and screen-reader) text of a notice."""
    return f"{headline(notice)} (task {notice.task_id})"


def digest_blocks(notices: Sequence[Notice]) -> list[Block]:
    """One message for a burst: a line per notice with its best link, the rest counted."""
    shown = notices[:_DIGEST_MAX_ITEMS]
    blocks: list[Block] = [{"type": "header", "text": _plain(f":bell: {len(notices)} task updates", _HEADER_MAX)}]
    blocks.extend({"type": "section", "text": _mrkdwn(_digest_line(notice))} for notice in shown)
    if len(notices) > len(shown):
        more = f"…and {len(notices) - len(shown)} more; see the notifier's log for every task."
        blocks.append({"type": "context", "elements": [_mrkdwn(more)]})
    return blocks


def digest_text(notices: Sequence[Notice]) -> str:
    return f"{len(notices)} task updates: " + "; ".join(headline(notice) for notice in notices[:10])


def escape(text: str) -> str:
    """Slack's mrkdwn control characters as entities, so provider strings cannot inject links."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def link(url: str, label: str) -> str:
    return f"<{escape(url).replace('|', '%7C')}|{escape(label)}>"


def _failure(notice: Notice) -> list[Block]:
    what, next_step = explain(notice)
    title = ":no_entry: *Content blocked*\n" if notice.content_blocked else ""
    text = f"{title}*What happened:* {escape(what)}\n*What to do:* {escape(next_step)}"
    return [{"type": "section", "text": _mrkdwn(text)}]


def _track_section(track: NoticeTrack) -> Block:
    links = " · ".join(link(url, label) for label, url in listen_links(track)) or "_no link yet_"
    section: Block = {"type": "section", "text": _mrkdwn(f"*{escape(track_line(track))}*\n{links}")}
    if image := cover(track):
        section["accessory"] = {"type": "image", "image_url": image, "alt_text": f"Cover of {track.title or track.id}"}
    return section


def _digest_line(notice: Notice) -> str:
    best = next((url for track in notice.tracks for _, url in listen_links(track)), notice.archive_url)
    where = f" · {link(best, 'Listen')}" if best else ""
    return f"{EMOJI[notice.stage]} *{STAGE_LABELS[notice.stage]}* · {escape(notice.title)} · `{notice.task_id}`{where}"


def _plain(text: str, limit: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": _clip(text, limit), "emoji": True}


def _mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": _clip(text, _SECTION_MAX)}


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
