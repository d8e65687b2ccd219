"""Facts the archiver measures itself: audio duration and format, lyrics sections, content flags."""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import BinaryIO

import mutagen

DURATION_TOLERANCE_S = 2.0
"""Measured and reported durations further apart than this are counted as a mismatch."""

_SECTION = re.compile(r"^\s*\[([^\]\n]{1,40})\]\s*$")


@dataclass(frozen=True, kw_only=True)
class AudioFacts:
    duration: float | None
    format: str | None
    bitrate: int | None = None
    sample_rate: int | None = None


def measure_audio(reader: BinaryIO) -> AudioFacts:
    """Duration and format read from the file itself; unknown formats give empty facts, never an error."""
    try:
        with reader:
            parsed = mutagen.File(reader)
    except (mutagen.MutagenError, OSError, ValueError, EOFError):
        return AudioFacts(duration=None, format=None)
    if parsed is None or parsed.info is None:
        return AudioFacts(duration=None, format=None)
    info = parsed.info
    length = getattr(info, "length", None)
    return AudioFacts(
        duration=round(float(length), 3) if length else None,
        format=type(parsed).__name__.lower(),
        bitrate=getattr(info, "bitrate", None) or None,
        sample_rate=getattr(info, "sample_rate", None) or None,
    )


def durations_disagree(reported: float | None, measured: float | None) -> bool:
    return reported is not None and measured is not None and abs(reported - measured) > DURATION_TOLERANCE_S


def lyrics_sections(prompt: str | None) -> list[dict[str, object]] | None:
    """`[Verse]`/`[Chorus]`/... markers split the prompt into sections; None when it has no markers."""
    sections: list[tuple[str, list[str]]] = []
    for line in (prompt or "").splitlines():
        marker = _SECTION.match(line)
        if marker:
            sections.append((marker.group(1).strip(), []))
        elif sections and line.strip():
            sections[-1][1].append(line.strip())
    return [{"section": name, "lines": lines} for name, lines in sections] or None


def flagged_words(words: Iterable[str], *texts: str | None) -> list[str]:
    """The configured words found (whole word, any case) in the texts, sorted; empty means not flagged."""
    haystack = " ".join(text for text in texts if text).lower()
    found = {word.lower() for word in words if word and re.search(rf"(?<!\w){re.escape(word.lower())}(?!\w)", haystack)}
    return sorted(found)
