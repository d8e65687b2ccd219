"""The checked-in contract: examples decode and round-trip, JSON Schemas are current, topics are named once."""

from pathlib import Path

import msgspec
import pytest

from schemas import generate
from schemas.codec import decode_archived, decode_callback, decode_quarantined, decode_submitted, encode
from schemas.topics import ARCHIVED, CALLBACKS, DLQ, QUARANTINE, SUBMITTED, TOPIC_PARTITIONS

EXAMPLES = Path(generate.__file__).parent / "examples"
DECODERS = {
    CALLBACKS: decode_callback,
    ARCHIVED: decode_archived,
    QUARANTINE: decode_quarantined,
    SUBMITTED: decode_submitted,
}
EXAMPLE_FILES = sorted(EXAMPLES.glob("*/*.json"))


def test_every_topic_with_events_has_examples() -> None:
    """Each topic that carries events has at least one checked-in example message."""
    assert {path.parent.name for path in EXAMPLE_FILES} == set(DECODERS)


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_example_decodes_and_round_trips(path: Path) -> None:
    """An example decodes with its topic's decoder and encodes back to the same JSON document."""
    raw = path.read_bytes()
    event = DECODERS[path.parent.name](raw)
    assert msgspec.json.decode(encode(event)) == msgspec.json.decode(raw)


def test_json_schemas_are_up_to_date() -> None:
    """The checked-in JSON Schemas equal what the event Structs generate (run `make schemas` if not)."""
    assert generate.stale() == []


def test_decoders_skip_unknown_fields() -> None:
    """A newer producer's extra field does not break an older consumer."""
    document = msgspec.json.decode((EXAMPLES / CALLBACKS / "complete.json").read_bytes())
    document["added_in_v2"] = {"anything": True}
    assert decode_callback(msgspec.json.encode(document)).task_id == document["task_id"]


def test_topic_names_and_partitions() -> None:
    """The four vocals topics keep their names; the keyed topics have several partitions."""
    assert (CALLBACKS, ARCHIVED, DLQ, QUARANTINE) == (
        "vocals.callbacks",
        "vocals.archived",
        "vocals.dlq",
        "vocals.quarantine",
    )
    assert TOPIC_PARTITIONS[CALLBACKS] > 1
    assert TOPIC_PARTITIONS[ARCHIVED] > 1
