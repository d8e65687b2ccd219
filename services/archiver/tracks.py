"""Archiving one track: audio, cover, optional source audio, measured facts, and a JSON sidecar."""

import asyncio
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import overload

import msgspec

from schemas.events import CallbackReceived, StoredObject, Track
from services.archiver.download import Downloader
from services.archiver.fetch import Fetched, PermanentDownloadError
from services.archiver.keys import Kind, object_key
from services.archiver.media import AudioFacts, measure_audio
from services.archiver.records import TrackStored
from services.archiver.store import ArchiveStore

_sidecar_encoder = msgspec.json.Encoder(order="sorted")


@dataclass(frozen=True, kw_only=True)
class TrackInfo:
    """What the sidecar says about a track besides its files."""

    lyrics: list[dict[str, object]] | None
    flagged_words: list[str]


class TrackArchiver:
    """Stores one track's files; the audio is required, the cover and source audio are best kept."""

    def __init__(
        self,
        store: ArchiveStore,
        downloader: Downloader,
        *,
        source_audio: bool,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store, self._downloader = store, downloader
        self._source_audio, self._now = source_audio, now

    async def archive(self, event: CallbackReceived, track: Track, info: TrackInfo) -> TrackStored:
        """Raises PermanentDownloadError when the audio cannot be had; other files' failures are noted."""
        assert track.audio_url is not None  # the service only archives tracks with an audio link
        audio = await self._fetch(event, track, Kind.AUDIO, track.audio_url)
        facts = await asyncio.to_thread(measure_audio, self._store.reader(audio.key, audio.bytes))
        failures: list[str] = []
        cover = await self._optional(event, track, Kind.COVER, track.image_url, failures)
        source_url = track.source_audio_url if self._source_audio else None
        source = await self._optional(event, track, Kind.SOURCE_AUDIO, source_url, failures)
        stored_audio = _stored(audio)
        objects = {"audio": stored_audio, "cover": _stored(cover), "source_audio": _stored(source)}
        metadata = await self._sidecar(event, track, info, facts, objects)
        return TrackStored(
            audio=stored_audio,
            cover=objects["cover"],
            source_audio=objects["source_audio"],
            metadata=metadata,
            measured_duration=facts.duration,
            audio_format=facts.format,
            audio_bitrate=facts.bitrate,
            audio_sample_rate=facts.sample_rate,
            failure_reason="; ".join(failures) or None,
            callback_event_id=event.event_id,
            received_at=event.received_at,
            archived_at=self._now(),
        )

    async def _fetch(self, event: CallbackReceived, track: Track, kind: Kind, url: str) -> Fetched:
        def key_for(extension: str) -> str:
            return object_key(event.task_id, track.id, kind, extension)

        return await self._downloader.download(url, kind, key_for)

    async def _optional(
        self, event: CallbackReceived, track: Track, kind: Kind, url: str | None, failures: list[str]
    ) -> Fetched | None:
        if not url:
            return None
        try:
            return await self._fetch(event, track, kind, url)
        except PermanentDownloadError as exc:
            failures.append(f"{kind}: {exc.reason}")
            return None

    async def _sidecar(
        self,
        event: CallbackReceived,
        track: Track,
        info: TrackInfo,
        facts: AudioFacts,
        objects: dict[str, StoredObject | None],
    ) -> StoredObject:
        document = {
            "task_id": event.task_id,
            "track": track,
            "lyrics": info.lyrics,
            "flagged_words": info.flagged_words,
            "measured": facts,
            "objects": objects,
            "callback_event_id": event.event_id,
        }
        body = _sidecar_encoder.encode(document)
        key = object_key(event.task_id, track.id, Kind.METADATA, "json")
        await self._store.put_bytes(key, body, content_type="application/json")
        return StoredObject(
            key=key, sha256=hashlib.sha256(body).hexdigest(), bytes=len(body), content_type="application/json"
        )


@overload
def _stored(fetched: Fetched) -> StoredObject: ...
@overload
def _stored(fetched: Fetched | None) -> StoredObject | None: ...
def _stored(fetched: Fetched | None) -> StoredObject | None:
    if fetched is None:
        return None
    return StoredObject(key=fetched.key, sha256=fetched.sha256, bytes=fetched.bytes, content_type=fetched.content_type)
