"""The AsyncAPI document describes the topics as they are: every topic, event, key, header and example."""

from typing import Any

import jsonschema
import pytest
import yaml

from schemas import asyncapi
from schemas.events import Event
from schemas.generate import TOPIC_EVENTS
from schemas.topics import TOPIC_PARTITIONS

DOCUMENT: dict[str, Any] = yaml.safe_load(asyncapi.DOCUMENT.read_text())


def resolve(ref: str) -> Any:
    node: Any = DOCUMENT
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


def refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [node["$ref"]] if "$ref" in node else [ref for value in node.values() for ref in refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in refs(value)]
    return []


def test_it_is_an_asyncapi_3_document_whose_references_all_resolve() -> None:
    """Version 3.0.0, Kafka servers, and no dangling $ref anywhere."""
    assert DOCUMENT["asyncapi"] == "3.0.0"
    assert {server["protocol"] for server in DOCUMENT["servers"].values()} == {"kafka"}
    found = refs(DOCUMENT)
    assert len(found) > 20
    for ref in found:
        assert resolve(ref) is not None, ref


def test_every_topic_is_a_channel_with_its_partition_count() -> None:
    """Each topic of TOPIC_PARTITIONS is one channel; its Kafka binding carries the partition count."""
    channels = {channel["address"]: channel for channel in DOCUMENT["channels"].values()}
    assert set(channels) == set(TOPIC_PARTITIONS)
    for topic, partitions in TOPIC_PARTITIONS.items():
        assert channels[topic]["bindings"]["kafka"] == {
            "topic": topic,
            "partitions": partitions,
            "bindingVersion": "0.5.0",
        }


@pytest.mark.parametrize(
    "event", [event for events in TOPIC_EVENTS.values() for event in events], ids=lambda e: e.__name__
)
def test_every_event_is_a_message_on_its_topic_with_its_cloudevents_type_and_key(event: type[Event]) -> None:
    """The message sits on the event's channel, with the ce_type header constant and the task id as key."""
    topic = next(topic for topic, events in TOPIC_EVENTS.items() if event in events)
    channel = next(channel for channel in DOCUMENT["channels"].values() if channel["address"] == topic)
    message = resolve(channel["messages"][event.__name__]["$ref"])
    assert message["headers"]["properties"]["ce_type"] == {"const": event.ce_type}
    assert "task id" in message["bindings"]["kafka"]["key"]["description"].lower()
    assert resolve(message["payload"]["$ref"])["title"] == event.__name__


def test_every_operation_sends_messages_of_its_own_channel() -> None:
    """Operation message refs point into the operation's channel."""
    for name, operation in DOCUMENT["operations"].items():
        channel_ref = operation["channel"]["$ref"]
        assert all(message["$ref"].startswith(channel_ref + "/messages/") for message in operation["messages"]), name


def test_examples_validate_against_their_payload_schema_and_a_broken_one_does_not() -> None:
    """Each example is valid JSON Schema-wise; dropping a required field makes it invalid."""
    components = {"components": DOCUMENT["components"]}
    checked = 0
    for message in DOCUMENT["components"]["messages"].values():
        if "$ref" not in message["payload"]:
            continue
        schema = {**components, "$ref": message["payload"]["$ref"]}
        for example in message.get("examples", []):
            jsonschema.validate(example["payload"], schema)
            broken = {key: value for key, value in example["payload"].items() if key != "event_id"}
            with pytest.raises(jsonschema.ValidationError):
                jsonschema.validate(broken, schema)
            checked += 1
    assert checked >= 8


def test_dead_letters_document_their_reason_headers() -> None:
    """The DLQ message lists every dlq_* header a consumer adds."""
    headers = DOCUMENT["components"]["messages"]["DeadLetter"]["headers"]["properties"]
    assert set(headers) == {"dlq_reason", "dlq_service", "dlq_topic", "dlq_partition", "dlq_offset", "dlq_failed_at"}
    assert "operator can act on" in headers["dlq_reason"]["description"]
