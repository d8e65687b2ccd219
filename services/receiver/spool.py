"""A durable local queue for events Kafka could not take: SQLite in WAL mode, fsync'd on every append.

All SQLite work runs on one dedicated thread, so the event loop never blocks on disk. An in-memory index
(sequence -> task id, spool time) mirrors the table for the hot checks: is this task waiting, how deep, how old.
"""

import asyncio
import sqlite3
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import msgspec

from services.receiver.outgoing import OutgoingMessage

_SCHEMA = """
CREATE TABLE IF NOT EXISTS spool (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    topic TEXT NOT NULL,
    task_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    key BLOB NOT NULL,
    value BLOB NOT NULL,
    headers BLOB NOT NULL,
    spooled_at REAL NOT NULL
)
"""
_headers_type = list[tuple[str, bytes]]


class SpoolFull(Exception):
    """The spool holds its maximum; the caller should answer 503 so the provider retries later."""


class Spool:
    def __init__(self, path: str | Path, *, max_events: int) -> None:
        self._path = Path(path)
        self._max_events = max_events
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="spool")
        self._db: sqlite3.Connection | None = None
        self._index: dict[int, tuple[str, float]] = {}
        self._tasks: Counter[str] = Counter()
        self._waiting: list[tuple[OutgoingMessage, float, asyncio.Future[int]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def open(self) -> None:
        """Open (or create) the file and load the index of what is waiting from an earlier run."""
        rows = await self._run(self._open_sync)
        for seq, task_id, spooled_at in rows:
            self._index[seq] = (task_id, spooled_at)
            self._tasks[task_id] += 1

    async def close(self) -> None:
        await self._run(self._close_sync)
        self._thread.shutdown(wait=True)

    def holds_task(self, task_id: str) -> bool:
        return self._tasks[task_id] > 0

    def depth(self) -> int:
        return len(self._index)

    def oldest_age(self, now: float | None = None) -> float:
        """Seconds the oldest waiting event has waited; 0 when empty."""
        if not self._index:
            return 0.0
        first = self._index[next(iter(self._index))]
        return max(0.0, (now or time.time()) - first[1])

    async def append(self, message: OutgoingMessage) -> None:
        """Write one message durably (committed and fsync'd) behind everything already waiting.

        Appends that arrive while a write is under way are committed together in the next transaction,
        so an outage at thousands of callbacks a second costs one fsync per batch, not per callback.
        """
        if len(self._index) + len(self._waiting) >= self._max_events:
            raise SpoolFull(f"spool at {self._path} holds its maximum of {self._max_events} events")
        written: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._waiting.append((message, time.time(), written))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_waiting(), name="spool-writer")
        await written

    async def _write_waiting(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting, []
            try:
                seqs: list[int] = await self._run(self._append_sync, [(m, at) for m, at, _ in batch])
            except Exception as exc:  # every waiting caller gets the error: none of them was made durable
                for _, _, written in batch:
                    written.set_exception(exc)
                continue
            for seq, (message, spooled_at, written) in zip(seqs, batch, strict=True):
                self._index[seq] = (message.task_id, spooled_at)
                self._tasks[message.task_id] += 1
                written.set_result(seq)

    async def head_per_task(self, limit: int) -> list[tuple[int, OutgoingMessage]]:
        """The oldest waiting message of up to `limit` tasks, oldest first: safe to publish concurrently."""
        seen: set[str] = set()
        wanted: list[int] = []
        for seq, (task_id, _) in self._index.items():
            if task_id not in seen:
                seen.add(task_id)
                wanted.append(seq)
                if len(wanted) == limit:
                    break
        found: list[tuple[int, OutgoingMessage]] = await self._run(self._read_sync, wanted)
        return found

    async def remove(self, seqs: list[int]) -> None:
        """Forget messages Kafka has acknowledged."""
        if not seqs:
            return
        await self._run(self._remove_sync, seqs)
        for seq in seqs:
            task_id, _ = self._index.pop(seq)
            self._tasks[task_id] -= 1
            if self._tasks[task_id] <= 0:
                del self._tasks[task_id]

    async def _run(self, function: Any, *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._thread, function, *args)

    def _open_sync(self) -> list[tuple[int, str, float]]:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self._path, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute(_SCHEMA)
        return self._db.execute("SELECT seq, task_id, spooled_at FROM spool ORDER BY seq").fetchall()

    def _close_sync(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def _append_sync(self, batch: list[tuple[OutgoingMessage, float]]) -> list[int]:
        assert self._db is not None
        seqs = []
        self._db.execute("BEGIN")
        try:
            for message, spooled_at in batch:
                cursor = self._db.execute(
                    "INSERT INTO spool (topic, task_id, event_id, key, value, headers, spooled_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        message.topic,
                        message.task_id,
                        message.event_id,
                        message.key,
                        message.value,
                        msgspec.msgpack.encode(message.headers),
                        spooled_at,
                    ),
                )
                assert cursor.lastrowid is not None
                seqs.append(cursor.lastrowid)
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")
        return seqs

    def _read_sync(self, seqs: list[int]) -> list[tuple[int, OutgoingMessage]]:
        assert self._db is not None
        found = {}
        for seq in seqs:
            row = self._db.execute(
                "SELECT topic, key, value, headers, event_id, task_id FROM spool WHERE seq = ?", (seq,)
            ).fetchone()
            topic, key, value, headers, event_id, task_id = row
            headers_list = msgspec.msgpack.decode(headers, type=_headers_type)
            found[seq] = OutgoingMessage(topic, key, value, headers_list, event_id, task_id)
        return [(seq, found[seq]) for seq in seqs]

    def _remove_sync(self, seqs: list[int]) -> None:
        assert self._db is not None
        self._db.execute("BEGIN")
        self._db.executemany("DELETE FROM spool WHERE seq = ?", [(seq,) for seq in seqs])
        self._db.execute("COMMIT")
