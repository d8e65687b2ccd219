"""A notice as words: email subject, plain text and HTML. Pure functions; Block Kit is in `blocks`."""

from html import escape as html_escape

from services.notifier.explain import explain
from services.notifier.notice import Notice, NoticeTrack
from services.notifier.settings import NoticeStage

STAGE_LABELS: dict[NoticeStage, str] = {
    "text": "Lyrics ready",
    "first": "First track ready",
    "complete": "Complete",
    "failed": "Failed",
    "archived": "Archived",
}


def headline(notice: Notice) -> str:
    """`Complete: Neon Rain`: the stage in words, then the title."""
    return f"{STAGE_LABELS[notice.stage]}: {notice.title}"


def subject(notice: Notice) -> str:
    """The email subject: names the stage and the title (and the code of a failure)."""
    code = f" (code {notice.code})" if notice.stage == "failed" and notice.code != 200 else ""
    return f"[vocals] {headline(notice)}{code}"


def summary(notice: Notice) -> str:
    """One line about the task: its id, stage and what the provider said."""
    said = f": {notice.message}" if notice.message else ""
    return f"Task {notice.task_id} · {notice.stage} · provider code {notice.code}{said}"


def duration_text(seconds: float | None) -> str | None:
    """163.88 -> '2:44'; None stays None."""
    if seconds is None:
        return None
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}:{rest:02d}"


def track_line(track: NoticeTrack) -> str:
    """`Neon Rain · 2:44 · synthwave, dreamy`, leaving out what is unknown."""
    parts = [track.title or track.id, duration_text(track.duration), track.tags]
    return " · ".join(part for part in parts if part)


def listen_links(track: NoticeTrack) -> list[tuple[str, str]]:
    """(label, URL) of every way to listen to the track, best first; the cover is shown separately."""
    candidates = [
        ("Archived copy", track.archived_audio_url),
        ("Stream", track.stream_url),
        ("Audio", track.audio_url),
    ]
    return [(label, url) for label, url in candidates if url]


def cover(track: NoticeTrack) -> str | None:
    """The cover image to show: the provider's (public) image first, else the archived copy."""
    return track.cover_url or track.archived_cover_url


def plain_text(notice: Notice) -> str:
    """The whole notice as plain text (email text part, and the log channel)."""
    lines = [headline(notice), summary(notice), ""]
    if notice.stage == "failed":
        what, next_step = explain(notice)
        lines += [f"What happened: {what}", f"What to do: {next_step}", ""]
    for number, track in enumerate(notice.tracks, start=1):
        lines.append(f"{number}. {track_line(track)}")
        lines += [f"   {label}: {url}" for label, url in listen_links(track)]
        if image := cover(track):
            lines.append(f"   Cover: {image}")
    if notice.archive_url:
        lines += ["", f"Archive: {notice.archive_url}"]
    return "\n".join(lines).rstrip() + "\n"


def html(notice: Notice) -> str:
    """The whole notice as a small HTML document (email HTML part); every provider string is escaped."""
    parts = [f"<h2>{html_escape(headline(notice))}</h2>", f"<p>{html_escape(summary(notice))}</p>"]
    if notice.stage == "failed":
        what, next_step = explain(notice)
        parts.append(
            f"<p><strong>What happened:</strong> {html_escape(what)}<br>"
            f"<strong>What to do:</strong> {html_escape(next_step)}</p>"
        )
    if notice.tracks:
        parts.append("<ol>" + "".join(_html_track(track) for track in notice.tracks) + "</ol>")
    if notice.archive_url:
        parts.append(f'<p><a href="{html_escape(notice.archive_url)}">Open the task in the archive</a></p>')
    body = "\n".join(parts)
    return f"<!DOCTYPE html>\n<html><body>\n{body}\n</body></html>\n"


def _html_track(track: NoticeTrack) -> str:
    links = " · ".join(f'<a href="{html_escape(url)}">{html_escape(label)}</a>' for label, url in listen_links(track))
    image = cover(track)
    picture = (
        f'<br><img src="{html_escape(image)}" alt="Cover of {html_escape(track.title or track.id)}" width="160">'
        if image
        else ""
    )
    return f"<li>{html_escape(track_line(track))}<br>{links}{picture}</li>"
