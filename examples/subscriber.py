"""Subscribe your own service to the vocals topics: a consumer group of its own, at least once, idempotent.

Run it next to `make dev` or `make up` (both serve Kafka on 127.0.0.1:9092):
    uv run python examples/subscriber.py --group my-team-vocals
"""

import argparse
import asyncio
import contextlib

from aiokafka import AIOKafkaConsumer, ConsumerRecord

from schemas import ARCHIVED, CALLBACKS, CallbackReceived, TaskArchived, TrackArchived
from schemas.codec import decode

Known = CallbackReceived | TrackArchived | TaskArchived
KNOWN: dict[str, type[Known]] = {event.ce_type: event for event in (CallbackReceived, TrackArchived, TaskArchived)}


def describe(event: Known) -> str:
    match event:
        case CallbackReceived():
            return f"task {event.task_id}: {event.stage} (code {event.code}, {len(event.tracks)} tracks)"
        case TrackArchived():
            return f"task {event.task_id}: track {event.track_id} stored, {event.audio.url or event.audio.key}"
        case TaskArchived():
            return f"task {event.task_id}: all {len(event.track_ids)} tracks archived"


def handle(record: ConsumerRecord[bytes, bytes], seen: set[str]) -> str | None:
    """Decode by the CloudEvents type header; skip types this code does not know yet and repeats."""
    ce_type = next((value.decode() for key, value in record.headers if key == "ce_type"), "")
    event_type = KNOWN.get(ce_type)
    if event_type is None:
        return None  # a newer event type: not an error, just not ours to handle (yet)
    event: Known = decode(record.value, event_type)
    if event.event_id in seen:
        return None  # delivered again (a retry upstream, or a restart here): already handled
    seen.add(event.event_id)  # in a real service: a unique key on event_id in your own database
    return describe(event)


async def subscribe(bootstrap: str, group: str, prefix: str = "", stop: asyncio.Event | None = None) -> None:
    consumer = AIOKafkaConsumer(
        f"{prefix}{CALLBACKS}",
        f"{prefix}{ARCHIVED}",
        bootstrap_servers=bootstrap,
        group_id=group,  # your own group: you get every event, whatever other subscribers do
        enable_auto_commit=False,  # commit only what was handled
        auto_offset_reset="earliest",  # a new group starts at the oldest event still retained
    )
    seen: set[str] = set()
    await consumer.start()
    try:
        while stop is None or not stop.is_set():
            batches = await consumer.getmany(timeout_ms=1000)
            for records in batches.values():
                for record in records:
                    line = handle(record, seen)
                    if line:
                        print(line, flush=True)
            if batches:
                await consumer.commit()
    finally:
        await consumer.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bootstrap", default="127.0.0.1:9092", help="Kafka bootstrap servers")
    parser.add_argument("--group", required=True, help="your service's own consumer group id")
    parser.add_argument("--prefix", default="", help="the deployment's VOCALS_KAFKA_TOPIC_PREFIX, if any")
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C: stop; what was handled is committed
        asyncio.run(subscribe(args.bootstrap, args.group, args.prefix))


if __name__ == "__main__":
    main()
