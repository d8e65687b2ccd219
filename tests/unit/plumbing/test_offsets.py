"""Offset tracking: the commit position covers exactly the done prefix of each partition's fetched records."""

import pytest
from aiokafka import TopicPartition
from hypothesis import given
from hypothesis import strategies as st

from services.plumbing.offsets import OffsetTracker, PartitionProgress

TP0 = TopicPartition("vocals.callbacks", 0)
TP1 = TopicPartition("vocals.callbacks", 1)


def fetched(*offsets: int) -> PartitionProgress:
    progress = PartitionProgress()
    for offset in offsets:
        progress.fetched(offset)
    return progress


def test_nothing_done_means_nothing_to_commit() -> None:
    """Fetched records alone never produce a commit position."""
    progress = fetched(0, 1, 2)

    assert progress.position is None
    assert progress.pending == 3


def test_position_stops_before_the_first_unfinished_record() -> None:
    """Records finishing after an unfinished one do not move the position past it."""
    progress = fetched(10, 11, 12, 13)

    progress.done(10)
    progress.done(12)
    progress.done(13)

    assert progress.position == 11
    assert progress.pending == 1


def test_out_of_order_completion_jumps_once_the_gap_closes() -> None:
    """When the earliest unfinished record finishes, the position jumps over everything done behind it."""
    progress = fetched(0, 1, 2, 3)
    for offset in (3, 1, 2):
        progress.done(offset)
    assert progress.position is None

    progress.done(0)

    assert progress.position == 4
    assert progress.pending == 0


def test_gaps_in_offsets_are_not_waited_for() -> None:
    """Offsets missing from the fetch (compaction, transaction markers) do not block the position."""
    progress = fetched(5, 9, 20)

    progress.done(5)
    progress.done(9)

    assert progress.position == 10


@given(st.permutations(range(12)), st.integers(min_value=0, max_value=12))
def test_position_is_one_past_the_longest_done_prefix(order: list[int], finished: int) -> None:
    """For any completion order, the position is 1 + the last offset of the fully done prefix, or None."""
    progress = fetched(*range(12))
    done = set(order[:finished])
    for offset in order[:finished]:
        progress.done(offset)

    prefix = 0
    while prefix in done:
        prefix += 1
    assert progress.position == (prefix if prefix else None)
    assert progress.pending == 12 - finished


def test_offsets_must_increase_and_finish_once() -> None:
    """Refetching an old offset or finishing a record twice is a bug the tracker refuses loudly."""
    progress = fetched(3, 4)
    progress.done(3)

    with pytest.raises(ValueError, match="must increase"):
        progress.fetched(4)
    with pytest.raises(ValueError, match="not pending"):
        progress.done(3)
    with pytest.raises(ValueError, match="not pending"):
        progress.done(7)


def test_tracker_commits_only_moved_partitions_and_counts_completions() -> None:
    """to_commit lists each partition whose position moved since its last commit, and nothing else."""
    tracker = OffsetTracker()
    first = tracker.fetched(TP0, 0)
    tracker.fetched(TP0, 1)
    tracker.fetched(TP1, 7)

    tracker.done(first, 0)
    assert tracker.to_commit() == {TP0: 1}
    assert tracker.pending == 2
    assert tracker.done_since_commit == 1

    tracker.committed({TP0: 1}, everything=True)

    assert tracker.to_commit() == {}
    assert tracker.done_since_commit == 0


def test_tracker_commit_can_be_limited_to_revoked_partitions() -> None:
    """A commit for revoked partitions leaves other partitions' positions pending for the next commit."""
    tracker = OffsetTracker()
    tracker.done(tracker.fetched(TP0, 0), 0)
    tracker.done(tracker.fetched(TP1, 4), 4)

    assert tracker.to_commit(only={TP1}) == {TP1: 5}
    tracker.committed({TP1: 5}, everything=False)

    assert tracker.to_commit() == {TP0: 1}
    assert tracker.done_since_commit == 2


def test_revoked_partition_is_flagged_then_forgotten() -> None:
    """Revoking flags the partition's progress; dropping it removes it from pending and from commits."""
    tracker = OffsetTracker()
    progress = tracker.fetched(TP0, 0)
    tracker.fetched(TP0, 1)

    tracker.revoke([TP0])
    assert progress.revoked
    tracker.drop([TP0])
    tracker.done(progress, 0)  # a late finisher updates the orphan, not the tracker

    assert tracker.pending == 0
    assert tracker.to_commit() == {}
    assert tracker.fetched(TP0, 1).pending == 1
