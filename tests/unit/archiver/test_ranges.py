"""HTTP Range parsing for the read API."""

import pytest

from services.archiver.ranges import ByteRange, UnsatisfiableRangeError, requested_range


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("bytes=0-99", ByteRange(0, 100)),
        ("bytes=100-", ByteRange(100, 1000)),
        ("bytes=-100", ByteRange(900, 1000)),
        ("bytes=-5000", ByteRange(0, 1000)),
        ("bytes=990-5000", ByteRange(990, 1000)),
        ("BYTES = 5 - 9", ByteRange(5, 10)),
        (None, None),
        ("bytes=0-1,5-9", None),
        ("items=0-5", None),
        ("bytes=9-5", None),
        ("bytes=-", None),
    ],
)
def test_single_ranges_are_read_and_others_mean_the_whole_file(header: str | None, expected: ByteRange | None) -> None:
    """One byte range (clipped to the size) is honoured; malformed or multi-range headers get the whole file."""
    assert requested_range(header, 1000) == expected


@pytest.mark.parametrize("header", ["bytes=1000-", "bytes=5000-6000", "bytes=-0"])
def test_ranges_outside_the_file_are_unsatisfiable(header: str) -> None:
    """A range starting at or past the end (or empty suffix) is a 416."""
    with pytest.raises(UnsatisfiableRangeError):
        requested_range(header, 1000)


def test_content_range_is_inclusive() -> None:
    """Content-Range names the last byte, not one past it."""
    assert ByteRange(0, 100).content_range(1000) == "bytes 0-99/1000"
