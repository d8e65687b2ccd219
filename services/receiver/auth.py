"""Proving a callback came from the provider: a secret URL token, or an HMAC signature where offered.

The main provider cannot sign, so its callback URL carries `?token=<secret>`; several tokens may be valid at
once so they can be rotated. Providers that sign send `X-Webhook-Timestamp` (unix seconds) and
`X-Webhook-Signature` = base64(HMAC-SHA256(key, task_id + "." + timestamp)). Comparisons are constant-time.
"""

import base64
import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import msgspec


class AuthFailure(StrEnum):
    """Why a request was refused; also the `reason` label of the rejection metric."""

    MISSING = "missing_credentials"
    BAD_TOKEN = "bad_token"  # noqa: S105  # a reason, not a password
    BAD_SIGNATURE = "bad_signature"
    STALE_SIGNATURE = "stale_signature"


class _TaskIdOnly(msgspec.Struct):
    data: "_TaskIdData"


class _TaskIdData(msgspec.Struct):
    task_id: str


_task_id_decoder = msgspec.json.Decoder(_TaskIdOnly)


@dataclass(frozen=True, slots=True)
class Authenticator:
    tokens: Sequence[str]
    signing_keys: Sequence[str]
    tolerance_seconds: int

    def check(
        self, *, token: str | None, timestamp: str | None, signature: str | None, body: bytes, now: float
    ) -> AuthFailure | None:
        """None when the request is authentic, else the reason it is not."""
        if token is not None and self.tokens:
            return None if _matches_any(token.encode(), self.tokens) else AuthFailure.BAD_TOKEN
        if timestamp is not None and signature is not None and self.signing_keys:
            return self._check_signature(timestamp, signature, body, now)
        return AuthFailure.BAD_TOKEN if token is not None else AuthFailure.MISSING

    def _check_signature(self, timestamp: str, signature: str, body: bytes, now: float) -> AuthFailure | None:
        try:
            sent_at = int(timestamp)
            task_id = _task_id_decoder.decode(body).data.task_id
            given = base64.b64decode(signature, validate=True)
        except (ValueError, msgspec.DecodeError):
            return AuthFailure.BAD_SIGNATURE
        if abs(now - sent_at) > self.tolerance_seconds:
            return AuthFailure.STALE_SIGNATURE
        message = f"{task_id}.{timestamp}".encode()
        for key in self.signing_keys:
            expected = hmac.new(key.encode(), message, hashlib.sha256).digest()
            if hmac.compare_digest(expected, given):
                return None
        return AuthFailure.BAD_SIGNATURE


def sign(key: str, task_id: str, timestamp: int) -> str:
    """The signature a signing provider sends; used by tests and the provider stand-in."""
    digest = hmac.new(key.encode(), f"{task_id}.{timestamp}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def _matches_any(given: bytes, accepted: Sequence[str]) -> bool:
    """Compare against every token without stopping early, so timing does not tell which one matched."""
    found = False
    for token in accepted:
        found |= hmac.compare_digest(given, token.encode())
    return found
