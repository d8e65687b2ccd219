"""The obstore adapter on a local directory and on an S3-compatible server (moto): same behaviour."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from services.archiver.media import measure_audio
from services.archiver.settings import ArchiverSettings
from services.archiver.store import PART_BYTES, ObstoreArchive, make_store
from tests.fixtures.media import mp3_bytes, mp3_of_size
from tests.fixtures.s3 import S3Bucket


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> ObstoreArchive:
    if request.param == "local":
        return make_store(ArchiverSettings(archive_url=f"file://{tmp_path}/archive"))
    bucket: S3Bucket = request.getfixturevalue("s3_bucket")
    settings = ArchiverSettings(
        archive_url=f"s3://{bucket.bucket}/vocals",
        s3_endpoint=bucket.endpoint,
        s3_region=bucket.region,
        s3_access_key_id=bucket.access_key_id,
        s3_secret_access_key=bucket.secret_access_key,
        s3_allow_http=True,
    )
    return make_store(settings)


async def chunks_of(data: bytes, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    for offset in range(0, len(data), size):
        yield data[offset : offset + size]


async def read_all(store: ObstoreArchive, key: str, start: int, end: int) -> bytes:
    return b"".join([chunk async for chunk in store.read(key, start, end)])


async def test_a_streamed_upload_larger_than_a_part_reads_back_identically(store: ObstoreArchive) -> None:
    """A multi-part streamed upload (2.5 parts) is stored whole: same size, same sha256, ranges correct."""
    data = mp3_of_size(PART_BYTES * 5 // 2)
    await store.put_stream("task/track.mp3", chunks_of(data), content_type="audio/mpeg")
    assert await store.size("task/track.mp3") == len(data)
    whole = await read_all(store, "task/track.mp3", 0, len(data))
    assert hashlib.sha256(whole).hexdigest() == hashlib.sha256(data).hexdigest()
    assert await read_all(store, "task/track.mp3", 100, 164) == data[100:164]


async def test_a_missing_key_has_no_size(store: ObstoreArchive) -> None:
    """size() answers None for a key never stored, which is what makes the re-download decision."""
    assert await store.size("task/absent.mp3") is None


async def test_a_failed_stream_leaves_no_object(store: ObstoreArchive) -> None:
    """An upload whose source fails midway leaves nothing under the key (no partial file to trust)."""

    async def broken() -> AsyncIterator[bytes]:
        yield b"x" * PART_BYTES
        raise ConnectionError("source went away")

    with pytest.raises(ConnectionError):
        await store.put_stream("task/broken.mp3", broken(), content_type="audio/mpeg")
    assert await store.size("task/broken.mp3") is None


async def test_mutagen_measures_through_the_seekable_reader(store: ObstoreArchive) -> None:
    """The duration is read from the stored file by ranged reads: a 7 s MP3 measures 7 s (+ codec padding)."""
    data = mp3_bytes(7.0)
    await store.put_bytes("task/seven.mp3", data, content_type="audio/mpeg")
    facts = measure_audio(store.reader("task/seven.mp3", len(data)))
    assert facts.format == "mp3"
    assert facts.duration == pytest.approx(7.0, abs=0.1)
    assert facts.sample_rate == 22_050


async def test_s3_objects_carry_their_content_type(s3_bucket: S3Bucket) -> None:
    """On S3 the object's Content-Type is set, so the bucket serves it correctly on its own too."""
    settings = ArchiverSettings(
        archive_url=f"s3://{s3_bucket.bucket}/p",
        s3_endpoint=s3_bucket.endpoint,
        s3_access_key_id="testing",
        s3_secret_access_key="testing",
        s3_allow_http=True,
    )
    store = make_store(settings)
    await store.put_stream("t/x.mp3", chunks_of(mp3_bytes(1.0)), content_type="audio/mpeg")
    head = s3_bucket.client().head_object(Bucket=s3_bucket.bucket, Key="p/t/x.mp3")  # type: ignore[attr-defined]
    assert head["ContentType"] == "audio/mpeg"
    assert s3_bucket.keys() == {"p/t/x.mp3": len(mp3_bytes(1.0))}
