"""Writes (or with --check, verifies) the JSON Schema of every event, checked in under schemas/jsonschema/.

Usage: python -m schemas.generate [--check]
"""

import sys
from pathlib import Path
from typing import Any

import msgspec

from schemas.events import CallbackQuarantined, CallbackReceived, TaskArchived, TaskSubmitted, TrackArchived
from schemas.topics import ARCHIVED, CALLBACKS, QUARANTINE, SUBMITTED

SCHEMA_DIR = Path(__file__).parent / "jsonschema"
TOPIC_EVENTS: dict[str, tuple[type[Any], ...]] = {
    CALLBACKS: (CallbackReceived,),
    ARCHIVED: (TrackArchived, TaskArchived),
    QUARANTINE: (CallbackQuarantined,),
    SUBMITTED: (TaskSubmitted,),
}


def rendered() -> dict[Path, bytes]:
    """File path -> the JSON Schema it must hold, one file per topic."""
    files = {}
    for topic, events in TOPIC_EVENTS.items():
        union = events[0] if len(events) == 1 else _union(events)
        schema = msgspec.json.schema(union)
        schema["$id"] = f"urn:vocals:schema:{topic}"
        schema["title"] = topic
        files[SCHEMA_DIR / f"{topic}.json"] = msgspec.json.format(msgspec.json.encode(schema)) + b"\n"
    return files


def _union(events: tuple[type[Any], ...]) -> Any:
    union: Any = events[0]
    for event in events[1:]:
        union = union | event
    return union


def stale() -> list[Path]:
    """Files whose checked-in content differs from what the Structs generate."""
    return [path for path, text in rendered().items() if not path.exists() or path.read_bytes() != text]


def main(argv: list[str]) -> int:
    if "--check" in argv:
        outdated = stale()
        for path in outdated:
            print(f"{path} is out of date: run `make schemas` and commit the result", file=sys.stderr)
        return 1 if outdated else 0
    SCHEMA_DIR.mkdir(exist_ok=True)
    for path, text in rendered().items():
        path.write_bytes(text)
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
