"""Baseline (a) of the receiver benchmark: the same route, checks and validation as the receiver, no Kafka.

`python -m benchmarks.bare_app PORT TOKEN`: content type, capped body read, token check, msgspec decode and
normalisation, event encoding with its headers; then 200. No publish, no spool, no de-duplication.
"""

import sys
import time
from datetime import UTC, datetime

import uvicorn
from litestar import Litestar

from schemas.provider import CallbackError, parse_callback
from services.receiver.__main__ import tune_gc
from services.receiver.asgi import callback_route
from services.receiver.auth import Authenticator
from services.receiver.intake import RECEIVED, Incoming, Reply, refuse
from services.receiver.outgoing import callback_message

MAX_BODY = 262_144


def create_bare_app(token: str) -> Litestar:
    authenticator = Authenticator(tokens=(token,), signing_keys=(), tolerance_seconds=300)

    async def validate_only(request: Incoming) -> Reply:
        if not request.content_type.startswith("application/json"):
            return refuse(415, "unsupported_media_type", request.content_type)
        body = await request.read(MAX_BODY)
        if body is None:
            return refuse(413, "body_too_large", str(MAX_BODY))
        failure = authenticator.check(token=request.token, timestamp=None, signature=None, body=body, now=time.time())
        if failure is not None:
            return refuse(401, failure.value, "")
        try:
            event = parse_callback(body, received_at=datetime.now(UTC))
        except CallbackError as exc:
            return refuse(400, "invalid_body", str(exc))
        callback_message(event, source="/bench")
        return RECEIVED

    return Litestar([callback_route("/callbacks/vocals", validate_only)], openapi_config=None)


if __name__ == "__main__":
    tune_gc()  # the same runtime set-up as the receiver's __main__
    uvicorn.run(
        create_bare_app(sys.argv[2]),
        host="127.0.0.1",
        port=int(sys.argv[1]),
        log_level="warning",
        access_log=False,
        loop="uvloop",
        http="httptools",
    )
