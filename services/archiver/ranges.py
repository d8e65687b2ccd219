"""HTTP Range requests (RFC 9110 §14) for the read API: one byte range, or the whole file."""

import re
from dataclasses import dataclass

_SINGLE = re.compile(r"^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class ByteRange:
    start: int
    end: int
    """Exclusive."""

    def content_range(self, size: int) -> str:
        return f"bytes {self.start}-{self.end - 1}/{size}"


class UnsatisfiableRangeError(ValueError):
    """The range lies outside the file: answer 416 with `Content-Range: bytes */size`."""


def requested_range(header: str | None, size: int) -> ByteRange | None:
    """The single range `header` asks for, clipped to `size`; None means "send the whole file".

    Malformed and multi-range headers are ignored (the whole file is sent), as RFC 9110 allows.
    """
    match = _SINGLE.match(header or "")
    if not match:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:
        length = int(last)
        if length == 0 or size == 0:
            raise UnsatisfiableRangeError(header)
        return ByteRange(max(0, size - length), size)
    start = int(first)
    end = min(int(last) + 1, size) if last else size
    if last and int(last) < start:
        return None
    if start >= size:
        raise UnsatisfiableRangeError(header)
    return ByteRange(start, end)
