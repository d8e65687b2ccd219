"""Create topics on a broker and wait until every partition has a leader."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError, for_code

LEADER_WAIT_SECONDS = 30.0


async def create_topics(bootstrap: str, topics: Mapping[str, int], replication: int = 1) -> None:
    """Create `{name: partitions}` (existing ones are left as they are) and return once all are led."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        response = await admin.create_topics(
            [NewTopic(name, partitions, replication) for name, partitions in topics.items()]
        )
        for name, code, message in response.topic_errors:
            error = for_code(code)
            if code != 0 and error is not TopicAlreadyExistsError:
                raise error(f"creating topic {name!r} on {bootstrap} failed: {message}")
        await _wait_for_leaders(admin, list(topics))
    finally:
        await admin.close()


async def _wait_for_leaders(admin: AIOKafkaAdminClient, names: list[str]) -> None:
    try:
        async with asyncio.timeout(LEADER_WAIT_SECONDS):
            while True:
                described = await admin.describe_topics(names)
                if len(described) == len(names) and all(_is_led(topic) for topic in described):
                    return
                await asyncio.sleep(0.1)
    except TimeoutError:
        raise TimeoutError(
            f"topics {names} still lack a leader for some partition after {LEADER_WAIT_SECONDS} s"
        ) from None


def _is_led(topic: Mapping[str, Any]) -> bool:
    partitions = topic["partitions"]
    return topic["error_code"] == 0 and bool(partitions) and all(p["leader"] >= 0 for p in partitions)
