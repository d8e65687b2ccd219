"""Callback authentication: URL tokens (rotatable) and the signing reseller's HMAC headers."""

import json

import pytest

from services.receiver.auth import Authenticator, AuthFailure, sign

BODY = json.dumps({"code": 200, "data": {"callbackType": "text", "task_id": "abc123"}}).encode()
NOW = 1_760_000_000


@pytest.fixture
def auth() -> Authenticator:
    return Authenticator(tokens=("old-token", "new-token"), signing_keys=("k1",), tolerance_seconds=300)


def check(auth: Authenticator, **kwargs: object) -> AuthFailure | None:
    values: dict[str, object] = {"token": None, "timestamp": None, "signature": None, "body": BODY, "now": NOW}
    values.update(kwargs)
    return auth.check(**values)  # type: ignore[arg-type]


def test_any_configured_token_is_accepted_during_rotation(auth: Authenticator) -> None:
    """Both the old and the new token authenticate while both are configured."""
    assert check(auth, token="old-token") is None
    assert check(auth, token="new-token") is None


def test_wrong_or_missing_token_is_refused(auth: Authenticator) -> None:
    """A wrong token, a prefix of a real one, and no credentials at all are each refused with their reason."""
    assert check(auth, token="new-toke") is AuthFailure.BAD_TOKEN
    assert check(auth, token="") is AuthFailure.BAD_TOKEN
    assert check(auth) is AuthFailure.MISSING


def test_valid_signature_within_tolerance_is_accepted(auth: Authenticator) -> None:
    """base64(HMAC-SHA256(key, task_id.timestamp)) with a fresh timestamp authenticates without a token."""
    timestamp = NOW - 299
    assert check(auth, timestamp=str(timestamp), signature=sign("k1", "abc123", timestamp)) is None


@pytest.mark.parametrize("skew", [-301, 301])
def test_stale_or_future_signature_is_refused(auth: Authenticator, skew: int) -> None:
    """A correct signature whose timestamp lies outside the tolerance, past or future, is refused."""
    timestamp = NOW + skew
    result = check(auth, timestamp=str(timestamp), signature=sign("k1", "abc123", timestamp))
    assert result is AuthFailure.STALE_SIGNATURE


def test_signature_for_another_task_or_key_is_refused(auth: Authenticator) -> None:
    """A signature made with another key, or over another task id, does not authenticate this body."""
    assert check(auth, timestamp=str(NOW), signature=sign("k2", "abc123", NOW)) is AuthFailure.BAD_SIGNATURE
    assert check(auth, timestamp=str(NOW), signature=sign("k1", "other", NOW)) is AuthFailure.BAD_SIGNATURE
    assert check(auth, timestamp="soon", signature=sign("k1", "abc123", NOW)) is AuthFailure.BAD_SIGNATURE
    assert check(auth, timestamp=str(NOW), signature="%%%") is AuthFailure.BAD_SIGNATURE
