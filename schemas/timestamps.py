"""The provider's three ways of writing a time, read into one: an aware UTC datetime."""

from datetime import UTC, datetime

_SECONDS_LIMIT = 100_000_000_000
"""Epoch numbers below this are seconds, above it milliseconds (1e11 ms is March 1973)."""


def parse_provider_time(value: int | float | str) -> datetime:
    """Read `createTime`: epoch milliseconds, "YYYY-MM-DD HH:MM:SS" or ISO-8601 (naive means UTC).

    Raises ValueError naming the accepted forms when the value is none of them.
    """
    if isinstance(value, bool):
        raise ValueError("expected epoch milliseconds or a date string, got a boolean")
    if isinstance(value, int | float):
        return _from_epoch(float(value))
    text = value.strip()
    if text.isdigit():
        return _from_epoch(float(text))
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"unreadable time {value!r}: expected epoch milliseconds, 'YYYY-MM-DD HH:MM:SS' or ISO-8601"
        ) from None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _from_epoch(number: float) -> datetime:
    seconds = number if abs(number) < _SECONDS_LIMIT else number / 1000
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise ValueError(f"epoch time {number!r} is out of range") from None
