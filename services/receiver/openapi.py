"""The callback endpoint's OpenAPI entry, written by hand because it is a raw ASGI route."""

from typing import Any, cast

import msgspec
from litestar import Litestar
from litestar.openapi.spec import (
    Components,
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Operation,
    Parameter,
    PathItem,
    RequestBody,
    Schema,
)

from schemas.provider import ProviderCallback

_REPLIES = {
    "200": 'Durable: on Kafka, or in the local spool until Kafka is back. Body: {"status": "received"}.',
    "400": "Not a callback: the detail names the offending field; the raw body is kept on vocals.quarantine.",
    "401": "Missing or wrong token / signature.",
    "413": "Body larger than VOCALS_MAX_BODY_BYTES.",
    "415": "Content-Type is not application/json.",
    "503": "Kafka unreachable and the spool full: retry later (Retry-After).",
}
_REPLY_BODY = '{"status": "received"} on success, else {"error": <reason>, "detail": <what to do>}'
_TOKEN = Parameter(name="token", param_in="query", required=False, schema=Schema(type=OpenAPIType.STRING))


def document_callback_route(app: Litestar, path: str) -> None:
    """Add the callback path, its request schema and its replies to the app's OpenAPI document."""
    schema, definitions = msgspec.json.schema_components([ProviderCallback], ref_template="#/components/schemas/{name}")
    openapi = app.openapi_schema
    components = openapi.components if isinstance(openapi.components, Components) else Components()
    components.schemas = {**(components.schemas or {}), **definitions}
    openapi.components = components
    reply = OpenAPIMediaType(
        schema=Schema(type=OpenAPIType.OBJECT, description='{"status": ...} or {"error", "detail"}')
    )
    openapi.paths = openapi.paths or {}
    openapi.paths[path] = PathItem(
        post=Operation(
            operation_id="receiveCallback",
            summary="Receive one provider callback",
            description="Authenticated by `?token=` (rotatable, see VOCALS_CALLBACK_TOKENS) or by "
            "X-Webhook-Timestamp + X-Webhook-Signature for providers that sign.",
            parameters=[
                Parameter(name="token", param_in="query", required=False, schema=Schema(type=OpenAPIType.STRING))
            ],
            request_body=RequestBody(
                content={"application/json": OpenAPIMediaType(schema=cast(Any, schema[0]))}, required=True
            ),
            responses={
                code: OpenAPIResponse(description=text, content={"application/json": reply})
                for code, text in _REPLIES.items()
            },
        )
    )
