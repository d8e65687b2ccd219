"""Where archived files live: the `ArchiveStore` port and its obstore adapter (local directory or S3)."""

import io
from collections.abc import AsyncIterable, AsyncIterator
from pathlib import Path
from typing import BinaryIO, Protocol
from urllib.parse import urlparse

import obstore
from obstore.exceptions import NotFoundError
from obstore.store import LocalStore, S3Store

from services.archiver.settings import ArchiverSettings

PART_BYTES = 5 * 1024 * 1024
"""Multipart part size: S3's minimum, and the most one upload buffers per part."""
PARALLEL_PARTS = 2
"""Parts of one upload in flight at once: with PART_BYTES, bounds one download's memory to ~10 MiB."""


class StoreConfigError(ValueError):
    """VOCALS_ARCHIVE_URL names no store the archiver can use."""


class ArchiveStore(Protocol):
    """Keeps files under keys; reads them back whole, by range, or through a seekable reader."""

    async def put_stream(self, key: str, chunks: AsyncIterable[bytes], *, content_type: str) -> None: ...

    async def put_bytes(self, key: str, data: bytes, *, content_type: str) -> None: ...

    async def size(self, key: str) -> int | None:
        """The stored size of `key`, or None when nothing is stored there."""
        ...

    def read(self, key: str, start: int, end: int) -> AsyncIterator[bytes]:
        """Bytes [start, end) of `key`, streamed."""
        ...

    def reader(self, key: str, size: int) -> BinaryIO:
        """A blocking, seekable reader over `key` (for mutagen, from a worker thread)."""
        ...


class ObstoreArchive:
    """`ArchiveStore` on obstore: a LocalStore directory or an S3-compatible bucket."""

    def __init__(self, store: LocalStore | S3Store, *, attributes: bool) -> None:
        self._store = store
        self._attributes = attributes

    async def put_stream(self, key: str, chunks: AsyncIterable[bytes], *, content_type: str) -> None:
        await obstore.put_async(
            self._store,
            key,
            chunks,
            attributes={"Content-Type": content_type} if self._attributes else None,
            chunk_size=PART_BYTES,
            max_concurrency=PARALLEL_PARTS,
        )

    async def put_bytes(self, key: str, data: bytes, *, content_type: str) -> None:
        attributes = {"Content-Type": content_type} if self._attributes else None
        await obstore.put_async(self._store, key, data, attributes=attributes, use_multipart=False)

    async def size(self, key: str) -> int | None:
        try:
            meta = await obstore.head_async(self._store, key)
        except (NotFoundError, FileNotFoundError):
            return None
        return int(meta["size"])

    async def read(self, key: str, start: int, end: int) -> AsyncIterator[bytes]:
        if end <= start:
            return
        result = await obstore.get_async(self._store, key, options={"range": (start, end)})
        async for chunk in result.stream(min_chunk_size=256 * 1024):
            yield chunk

    def reader(self, key: str, size: int) -> BinaryIO:
        return io.BufferedReader(_RangeReader(self._store, key, size), buffer_size=256 * 1024)


class _RangeReader(io.RawIOBase):
    """A seekable raw file over ranged GETs: reading a tag or a header never fetches the whole file."""

    def __init__(self, store: LocalStore | S3Store, key: str, size: int) -> None:
        self._store, self._key, self._size, self._position = store, key, size, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._size}[whence]
        self._position = max(0, base + offset)
        return self._position

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        end = min(self._position + len(buffer), self._size)
        if end <= self._position:
            return 0
        data = obstore.get_range(self._store, self._key, start=self._position, end=end)
        count = len(data)
        buffer[:count] = memoryview(data)
        self._position += count
        return count


def make_store(settings: ArchiverSettings) -> ObstoreArchive:
    """The store `archive_url` names: `file://<dir>` (created if missing) or `s3://bucket/prefix`."""
    url = urlparse(settings.archive_url)
    if url.scheme == "file":
        directory = Path(url.netloc + url.path).resolve()
        directory.mkdir(parents=True, exist_ok=True)
        return ObstoreArchive(LocalStore(directory), attributes=False)
    if url.scheme == "s3":
        return ObstoreArchive(_s3(settings, url.netloc, url.path.strip("/")), attributes=True)
    raise StoreConfigError(
        f"VOCALS_ARCHIVE_URL is invalid: {settings.archive_url!r} is neither file://<dir> nor s3://bucket/prefix"
    )


def _s3(settings: ArchiverSettings, bucket: str, prefix: str) -> S3Store:
    config: dict[str, str] = {"region": settings.s3_region}
    if settings.s3_endpoint:
        config["endpoint"] = settings.s3_endpoint
    if settings.s3_access_key_id:
        config["access_key_id"] = settings.s3_access_key_id
        config["secret_access_key"] = settings.s3_secret_access_key
    return S3Store(
        bucket,
        prefix=prefix or None,
        config=config,  # type: ignore[arg-type]
        client_options={"allow_http": settings.s3_allow_http, "timeout": "300s"},
    )
