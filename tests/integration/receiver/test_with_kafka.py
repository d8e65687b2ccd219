"""The receiver against a real Kafka broker, checked by an independent consumer (kcat)."""

import asyncio
import json
import uuid
from pathlib import Path

import pytest

from devtools.kafka import LocalBroker, create_topics
from schemas.topics import CALLBACKS, QUARANTINE
from tests.fixtures.kafka import kcat_consume
from tests.integration.receiver.running import post_callback, running_receiver

PAYLOADS = Path(__file__).parents[2] / "payloads"


@pytest.fixture
async def prefix(kafka_bootstrap: str) -> str:
    """A fresh namespace (VOCALS_KAFKA_TOPIC_PREFIX) for this test's vocals topics on the shared broker."""
    namespace = f"t{uuid.uuid4().hex[:10]}."
    await create_topics(kafka_bootstrap, {namespace + CALLBACKS: 3, namespace + QUARANTINE: 1})
    return namespace


def callback(task_id: str, stage: str, code: int = 200) -> bytes:
    inner = {"callbackType": stage, "task_id": task_id, "data": []}
    return json.dumps({"code": code, "msg": stage, "data": inner}).encode()


async def read(bootstrap: str, topic: str, count: int) -> list[dict]:  # type: ignore[type-arg]
    return await asyncio.to_thread(kcat_consume, bootstrap, topic, count)


@pytest.mark.parametrize("payload", sorted(PAYLOADS.glob("*.json")), ids=lambda p: p.name)
async def test_sample_payload_lands_on_callbacks_topic(
    tmp_path: Path, kafka_bootstrap: str, prefix: str, payload: Path
) -> None:
    """Each sample callback comes out of vocals.callbacks keyed by task id, with CloudEvents headers and
    normalised values, as read by kcat."""
    sent = json.loads(payload.read_bytes())
    async with running_receiver(tmp_path, kafka_bootstrap, prefix) as (client, _):
        response = await post_callback(client, payload.read_bytes())
        assert (response.status_code, response.json()) == (200, {"status": "received"})
    [record] = await read(kafka_bootstrap, prefix + CALLBACKS, 1)
    task_id = sent["data"]["task_id"]
    event = json.loads(record["payload"])
    headers = dict(record["headers"])
    assert record["key"] == task_id
    assert headers["ce_specversion"] == "1.0"
    assert headers["ce_id"] == event["event_id"]
    assert headers["ce_type"] == "org.vocals.callback.received.v1"
    assert headers["ce_source"] == "/vocals/receiver"
    assert headers["ce_subject"] == task_id
    assert headers["content-type"] == "application/json"
    assert headers["ce_time"] == event["received_at"]
    assert (event["task_id"], event["code"], event["msg"]) == (task_id, sent["code"], sent["msg"])
    assert event["callback_type"] == sent["data"]["callbackType"]
    assert event["stage"] == ("failed" if sent["code"] != 200 else sent["data"]["callbackType"])
    sent_tracks = sent["data"]["data"] or []
    assert [t["id"] for t in event["tracks"]] == [t["id"] for t in sent_tracks]
    for got, original in zip(event["tracks"], sent_tracks, strict=True):
        assert got["audio_url"] == (original["audio_url"] or None)
        assert got["duration"] == original.get("duration")
        assert got["created_at"].endswith("Z")


async def test_same_callback_twice_is_one_event(tmp_path: Path, kafka_bootstrap: str, prefix: str) -> None:
    """The provider's retry of a callback is answered 200 and leaves exactly one event on the topic."""
    body = (PAYLOADS / "complete.json").read_bytes()
    async with running_receiver(tmp_path, kafka_bootstrap, prefix) as (client, _):
        assert [(await post_callback(client, body)).status_code for _ in range(2)] == [200, 200]
        marker = await post_callback(client, callback("marker-task", "text"))
        assert marker.status_code == 200
    records = await read(kafka_bootstrap, prefix + CALLBACKS, 2)
    assert sorted(r["key"] for r in records) == ["3f1c9a7e52b04d6e8a9b0c1d2e3f4a5b", "marker-task"]


async def test_unauthenticated_and_invalid_requests(tmp_path: Path, kafka_bootstrap: str, prefix: str) -> None:
    """Unauthenticated requests publish nothing anywhere; an invalid authenticated body lands in quarantine."""
    async with running_receiver(tmp_path, kafka_bootstrap, prefix) as (client, _):
        refused = await client.post(
            "/callbacks/vocals?token=nope", content=callback("x", "text"), headers={"content-type": "application/json"}
        )
        invalid = await post_callback(client, b'{"code": 200, "data": {"task_id": "q-task"}}')
        valid = await post_callback(client, callback("after", "text"))
    assert (refused.status_code, invalid.status_code, valid.status_code) == (401, 400, 200)
    assert "callbackType" in invalid.json()["detail"]
    [quarantined] = await read(kafka_bootstrap, prefix + QUARANTINE, 1)
    assert quarantined["key"] == "q-task"
    assert "callbackType" in json.loads(quarantined["payload"])["error"]
    [only] = await read(kafka_bootstrap, prefix + CALLBACKS, 1)
    assert only["key"] == "after"


async def test_broker_outage_loses_nothing_and_keeps_task_order(
    tmp_path: Path, kafka_broker: LocalBroker, prefix: str
) -> None:
    """Broker stopped -> callbacks still answered 200 -> broker back -> every event arrives once, in task order."""
    bootstrap = kafka_broker.bootstrap
    stages = ["text", "first", "complete"]
    tasks = [f"outage-{n}" for n in range(4)]
    async with running_receiver(
        tmp_path, bootstrap, prefix, kafka_request_timeout_ms="1500", publish_timeout_seconds="3"
    ) as (client, _):
        assert (await post_callback(client, callback("before", "text"))).status_code == 200
        await asyncio.to_thread(kafka_broker.stop)
        try:
            for stage in stages:
                replies = await asyncio.gather(*(post_callback(client, callback(t, stage)) for t in tasks))
                assert [r.status_code for r in replies] == [200] * len(tasks)
            ready = (await client.get("/readyz")).json()
            assert (ready["status"], ready["kafka"], ready["spool_events"]) == ("degraded", "unreachable", 12)
        finally:
            await asyncio.to_thread(kafka_broker.start)
        for _ in range(600):
            if (await client.get("/readyz")).json()["spool_events"] == 0:
                break
            await asyncio.sleep(0.05)
        assert (await client.get("/readyz")).json()["status"] == "ready"
    records = await read(bootstrap, prefix + CALLBACKS, 13)
    assert len(records) == 13
    for task_id in tasks:
        mine = sorted((r for r in records if r["key"] == task_id), key=lambda r: r["offset"])
        assert [json.loads(r["payload"])["callback_type"] for r in mine] == stages
