"""Writes (or with --check, verifies) schemas/asyncapi.yaml: the AsyncAPI 3.0 document of the vocals topics.

Usage: python -m schemas.asyncapi [--check]
Channels, messages, Kafka keys and partitions, CloudEvents headers and examples all come from this package.
"""

import ast
import inspect
import itertools
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import msgspec

from schemas import dlq, topics
from schemas.events import SCHEMA_VERSION, Event
from schemas.generate import TOPIC_EVENTS
from schemas.topics import ARCHIVED, CALLBACKS, DLQ, QUARANTINE, TOPIC_PARTITIONS

DOCUMENT = Path(__file__).parent / "asyncapi.yaml"
EXAMPLES = Path(__file__).parent / "examples"
KAFKA_BINDING = "0.5.0"
SENDERS = {
    CALLBACKS: "The receiver publishes every accepted callback (and the reconciler every polled status).",
    ARCHIVED: "The archiver publishes what it stored.",
    QUARANTINE: "The receiver keeps the bodies it could not understand.",
}
"""Who publishes on a topic, where it is worth saying; other topics get a generic summary."""
DESCRIPTION = """\
Events of the vocals pipeline: the "Add Vocals" music API's task callbacks, normalised, and what the archiver
made of them. Every message is JSON keyed by `task_id`, so one task's events share a partition and arrive in
order; delivery is at least once, so a consumer must be idempotent (use `event_id`). Attributes follow
CloudEvents 1.0 in Kafka binary mode (`ce_*` headers). Evolution: fields are only ever added, with defaults;
ignore fields you do not know. Generated from the `schemas` package by `python -m schemas.asyncapi`."""


def document() -> dict[str, Any]:
    """The AsyncAPI document as plain data."""
    events = [event for types in TOPIC_EVENTS.values() for event in types]
    _, components = msgspec.json.schema_components(events, ref_template="#/components/schemas/{name}")
    topic_docs = _attribute_docs(topics)
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for topic, types in TOPIC_EVENTS.items():
        channel_id = topic.removeprefix("vocals.")
        names = [event.__name__ for event in types]
        sender = SENDERS.get(topic, f"The pipeline publishes {' and '.join(names)}.")
        channels[channel_id] = _channel(topic, topic_docs[_constant_name(topic)], names)
        operations[f"send_{channel_id}"] = _operation("send", channel_id, types, sender)
        messages.update({event.__name__: _message(event, topic) for event in types})
    channels["dlq"] = _channel(DLQ, topic_docs["DLQ"], ["DeadLetter"])
    operations["send_dlq"] = _operation("send", "dlq", (), "A consumer parks a message it can never handle.")
    messages["DeadLetter"] = _dead_letter()
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "vocals pipeline events",
            "version": f"{SCHEMA_VERSION}.0.0",
            "description": " ".join(DESCRIPTION.split()),
        },
        "defaultContentType": "application/json",
        "servers": {
            "local": {
                "host": "127.0.0.1:9092",
                "protocol": "kafka",
                "description": "`make dev`, and `make up` from the host",
            },
            "compose": {"host": "kafka:29092", "protocol": "kafka", "description": "Inside the compose network"},
        },
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": components},
    }


def _channel(topic: str, description: str, message_ids: list[str]) -> dict[str, Any]:
    return {
        "address": topic,
        "description": description,
        "messages": {name: {"$ref": f"#/components/messages/{name}"} for name in message_ids},
        "bindings": {"kafka": {"topic": topic, "partitions": TOPIC_PARTITIONS[topic], "bindingVersion": KAFKA_BINDING}},
    }


def _operation(action: str, channel_id: str, types: tuple[type[Event], ...], summary: str) -> dict[str, Any]:
    names = [event.__name__ for event in types] or ["DeadLetter"]
    return {
        "action": action,
        "channel": {"$ref": f"#/channels/{channel_id}"},
        "summary": summary,
        "messages": [{"$ref": f"#/channels/{channel_id}/messages/{name}"} for name in names],
    }


def _message(event: type[Event], topic: str) -> dict[str, Any]:
    tag = event.__struct_config__.tag
    message: dict[str, Any] = {
        "name": str(tag),
        "title": event.__name__,
        "summary": (event.__doc__ or "").strip().splitlines()[0],
        "contentType": "application/json",
        "headers": _cloudevent_headers(event),
        "payload": {"$ref": f"#/components/schemas/{event.__name__}"},
        "correlationId": {"location": "$message.header#/ce_subject", "description": "The task id."},
        "bindings": {"kafka": {"key": _KEY, "bindingVersion": KAFKA_BINDING}},
    }
    examples = _examples(topic, str(tag))
    if examples:
        message["examples"] = examples
    return message


_KEY = {"type": "string", "description": "The task id (UTF-8): one task's events share a partition, in order."}


def _cloudevent_headers(event: type[Event]) -> dict[str, Any]:
    string = {"type": "string"}
    properties = {
        "ce_specversion": {"const": "1.0"},
        "ce_id": {**string, "description": "The event id: the same fact always has the same id."},
        "ce_source": {**string, "description": "The producing service, e.g. /vocals/receiver."},
        "ce_type": {"const": event.ce_type},
        "ce_time": {**string, "format": "date-time", "description": "When the fact happened (RFC 3339)."},
        "ce_subject": {**string, "description": "The task id, as in the key."},
        "content-type": {"const": "application/json"},
    }
    return {"type": "object", "required": list(properties), "properties": properties}


def _dead_letter() -> dict[str, Any]:
    docs = _attribute_docs(dlq)
    properties = {
        getattr(dlq, name): {"type": "string", "description": docs.get(name, name.lower().replace("_", " "))}
        for name in ("REASON", "SERVICE", "TOPIC", "PARTITION", "OFFSET", "FAILED_AT")
    }
    return {
        "name": "dead-letter",
        "title": "DeadLetter",
        "summary": "A message some consumer can never handle: key, value and headers exactly as it was read.",
        "headers": {"type": "object", "required": list(properties), "properties": properties},
        "payload": {"description": "The original message's value, unchanged (any bytes)."},
        "bindings": {
            "kafka": {"key": {"type": "string", "description": "The original key."}, "bindingVersion": KAFKA_BINDING}
        },
    }


def _examples(topic: str, tag: str) -> list[dict[str, Any]]:
    found = []
    for path in sorted((EXAMPLES / topic).glob("*.json")):
        payload = msgspec.json.decode(path.read_bytes())
        if payload.get("event_type") == tag:
            found.append({"name": path.stem, "payload": payload})
    return found


def _constant_name(topic: str) -> str:
    return next(name for name, value in vars(topics).items() if name.isupper() and value == topic)


def _attribute_docs(module: ModuleType) -> dict[str, str]:
    """The docstrings written under a module's constants (`NAME = ...` then a string)."""
    body = ast.parse(inspect.getsource(module)).body
    docs = {}
    for statement, following in itertools.pairwise(body):
        if not (isinstance(following, ast.Expr) and isinstance(following.value, ast.Constant)):
            continue
        targets: list[ast.expr] = []
        if isinstance(statement, ast.AnnAssign):
            targets = [statement.target]
        elif isinstance(statement, ast.Assign):
            targets = statement.targets
        for target in targets:
            if isinstance(target, ast.Name):
                docs[target.id] = str(following.value.value).strip()
    return docs


def rendered() -> bytes:
    return msgspec.yaml.encode(document())


def main(argv: list[str]) -> int:
    text = rendered()
    if "--check" in argv:
        if not DOCUMENT.exists() or DOCUMENT.read_bytes() != text:
            print(f"{DOCUMENT} is out of date: run `python -m schemas.asyncapi` and commit it", file=sys.stderr)
            return 1
        return 0
    DOCUMENT.write_bytes(text)
    print(f"wrote {DOCUMENT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
