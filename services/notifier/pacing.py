"""`Pacer`: at most one message per interval through one channel; a burst goes out as one digest.

Every concurrent handler calls `send(notice)`. One at a time (a lock) waits for the channel's next
free moment and then sends everything queued by then: a single notice as itself, `digest_threshold`
or more as one digest message (if the channel can), fewer one by one in turn. Each caller returns
once its own notice was accepted, or raises what the channel raised, and records its own send.
A 429's Retry-After also holds back everyone behind it.
"""

import asyncio
import time

from services.notifier.notice import Notice
from services.notifier.ports import Channel, DigestChannel, TransientSendError

Entry = tuple[Notice, "asyncio.Future[bool]"]


class Pacer:
    def __init__(self, channel: Channel, *, interval: float, digest_threshold: int | None) -> None:
        self.channel = channel
        self._interval = interval
        self._threshold = digest_threshold if isinstance(channel, DigestChannel) else None
        self._lock = asyncio.Lock()
        self._queue: list[Entry] = []
        self._next_at = 0.0

    @property
    def name(self) -> str:
        return self.channel.name

    async def send(self, notice: Notice) -> bool:
        """Returns once `notice` is accepted: True if it went inside a digest, False if on its own."""
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        entry = (notice, future)
        self._queue.append(entry)
        try:
            async with self._lock:
                if not future.done():
                    await self._send_next(entry)
            return future.result()
        finally:
            if entry in self._queue:
                self._queue.remove(entry)
            future.cancel()  # no-op once done; a cancelled waiter leaves nothing behind

    async def _send_next(self, own: Entry) -> None:
        await asyncio.sleep(max(0.0, self._next_at - time.monotonic()))
        batch = self._take(own)
        try:
            await self._deliver([notice for notice, _ in batch])
        except TransientSendError as exc:
            self._hold(exc.retry_after)
            _settle(batch, error=exc)
        except Exception as exc:
            self._hold(None)
            _settle(batch, error=exc)
        except BaseException:
            self._hold(None)
            _settle(batch, error=TransientSendError("interrupted", "the send was interrupted; outcome unknown"))
            raise
        else:
            self._hold(None)
            _settle(batch, in_digest=len(batch) > 1)

    async def _deliver(self, notices: list[Notice]) -> None:
        channel = self.channel
        if len(notices) > 1 and isinstance(channel, DigestChannel):
            await channel.send_digest(notices)
        else:
            await channel.send(notices[0])

    def _take(self, own: Entry) -> list[Entry]:
        """Everything queued if that makes a digest; otherwise just the caller's own notice."""
        if self._threshold is not None and len(self._queue) >= self._threshold:
            batch, self._queue[:] = list(self._queue), []
            return batch
        self._queue.remove(own)
        return [own]

    def _hold(self, retry_after: float | None) -> None:
        self._next_at = time.monotonic() + max(self._interval, retry_after or 0.0)


def _settle(
    batch: list[Entry],
    *,
    in_digest: bool = False,
    error: BaseException | None = None,
) -> None:
    for _, future in batch:
        if future.done():
            continue
        if error is None:
            future.set_result(in_digest)
        else:
            future.set_exception(error)
