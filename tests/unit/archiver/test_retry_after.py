"""Retry-After in seconds or as an HTTP date."""

from datetime import UTC, datetime

from services.archiver.fetch import retry_after_s

NOW = datetime(2025, 9, 16, 17, 45, tzinfo=UTC)


def test_seconds_and_dates_are_read() -> None:
    """'120' is 120 s; an HTTP date 30 s ahead is 30 s; a past date is 0; garbage or absence is None."""
    assert retry_after_s("120", now=NOW) == 120.0
    assert retry_after_s("Tue, 16 Sep 2025 17:45:30 GMT", now=NOW) == 30.0
    assert retry_after_s("Tue, 16 Sep 2025 17:00:00 GMT", now=NOW) == 0.0
    assert retry_after_s("soon", now=NOW) is None
    assert retry_after_s(None, now=NOW) is None
