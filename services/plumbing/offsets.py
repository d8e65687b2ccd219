"""Which fetched offsets are done, per partition, and so how far a consumer group may safely commit."""

from collections import deque
from collections.abc import Iterable

from aiokafka import TopicPartition


class PartitionProgress:
    """One partition's fetched offsets; the commit position never passes an unfinished one.

    Offsets may finish in any order (different keys run concurrently) and may have gaps (compaction,
    transaction markers): the position is 1 + the highest offset whose every earlier fetched offset is done.
    """

    def __init__(self) -> None:
        self._fetch_order: deque[int] = deque()
        self._unfinished: set[int] = set()
        self._last_fetched: int | None = None
        self.position: int | None = None
        """The offset to commit (the next record to read after a restart), or None if nothing is done."""
        self.committed: int | None = None
        """The last position the group committed for this partition by us."""
        self.revoked = False
        """Set when the partition is taken away: its records that have not started must not start."""

    def fetched(self, offset: int) -> None:
        """Record that `offset` was fetched and is now pending; offsets arrive in increasing order."""
        if self._last_fetched is not None and offset <= self._last_fetched:
            raise ValueError(f"offset {offset} fetched after {self._last_fetched}: offsets must increase")
        self._last_fetched = offset
        self._fetch_order.append(offset)
        self._unfinished.add(offset)

    def done(self, offset: int) -> None:
        """Record that `offset` reached a final outcome, and advance the position over the done prefix."""
        if offset not in self._unfinished:
            raise ValueError(f"offset {offset} is not pending: it was never fetched or is already done")
        self._unfinished.discard(offset)
        while self._fetch_order and self._fetch_order[0] not in self._unfinished:
            self.position = self._fetch_order.popleft() + 1

    @property
    def pending(self) -> int:
        """How many fetched records are not done yet."""
        return len(self._unfinished)

    @property
    def uncommitted(self) -> bool:
        return self.position is not None and self.position != self.committed


class OffsetTracker:
    """Progress of every partition this consumer owns, and what to commit next."""

    def __init__(self) -> None:
        self._partitions: dict[TopicPartition, PartitionProgress] = {}
        self.done_since_commit = 0

    def fetched(self, tp: TopicPartition, offset: int) -> PartitionProgress:
        """Record a fetched record; returns its partition's progress, which its worker marks done."""
        progress = self._partitions.setdefault(tp, PartitionProgress())
        progress.fetched(offset)
        return progress

    def done(self, progress: PartitionProgress, offset: int) -> None:
        """Mark a record done; progress of a dropped (revoked) partition is updated but never committed."""
        progress.done(offset)
        self.done_since_commit += 1

    @property
    def pending(self) -> int:
        return sum(progress.pending for progress in self._partitions.values())

    def to_commit(self, only: Iterable[TopicPartition] | None = None) -> dict[TopicPartition, int]:
        """Positions that moved since the last commit, optionally limited to some partitions."""
        wanted = self._partitions.keys() if only is None else set(only) & self._partitions.keys()
        return {
            tp: progress.position
            for tp in wanted
            if (progress := self._partitions[tp]).uncommitted and progress.position is not None
        }

    def committed(self, offsets: dict[TopicPartition, int], *, everything: bool) -> None:
        """Remember what the group now holds; `everything` means every partition's position was in it."""
        for tp, position in offsets.items():
            if tp in self._partitions:
                self._partitions[tp].committed = position
        if everything:
            self.done_since_commit = 0

    def revoke(self, tps: Iterable[TopicPartition]) -> None:
        """Stop every not-yet-started record of these partitions from starting."""
        for tp in tps:
            if tp in self._partitions:
                self._partitions[tp].revoked = True

    def drop(self, tps: Iterable[TopicPartition]) -> None:
        """Forget partitions that another consumer now owns."""
        for tp in tps:
            self._partitions.pop(tp, None)
