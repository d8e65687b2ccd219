"""A track as one callback describes it, with the facts derived from its text (lyrics, content flags)."""

from schemas.events import STAGE_RANK, CallbackReceived, Track
from services.archiver.media import flagged_words, lyrics_sections
from services.archiver.records import TrackSeen


def described(event: CallbackReceived, position: int, track: Track, filter_words: tuple[str, ...]) -> TrackSeen:
    """The row-to-be of `track`; `meta_rank` lets a later stage's facts win over an earlier one's."""
    return TrackSeen(
        track_id=track.id,
        task_id=event.task_id,
        position=position,
        meta_rank=STAGE_RANK[event.stage],
        title=track.title,
        tags=track.tags,
        prompt=track.prompt,
        model_name=track.model_name,
        lyrics=lyrics_sections(track.prompt),
        flagged_words=flagged_words(filter_words, track.title, track.tags, track.prompt) or None,
        created_at=track.created_at,
        reported_duration=track.duration,
        audio_url=track.audio_url,
        source_audio_url=track.source_audio_url,
        stream_audio_url=track.stream_audio_url,
        image_url=track.image_url,
        extra=track.extra or None,
        first_seen_at=event.received_at,
    )
