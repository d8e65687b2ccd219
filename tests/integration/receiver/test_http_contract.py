"""The receiver's HTTP contract, with a fake publisher and a real spool file: status codes, quarantine,
duplicates and the spool's behaviour while Kafka is away."""

import asyncio
import json
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litestar.testing import AsyncTestClient
from prometheus_client.parser import text_string_to_metric_families

from schemas.codec import decode_callback, decode_quarantined
from schemas.topics import CALLBACKS, QUARANTINE
from services.plumbing.settings import load
from services.receiver.app import CALLBACK_PATH, create_app
from services.receiver.settings import ReceiverSettings
from tests.fakes import FakePublisher

PAYLOADS = Path(__file__).parents[2] / "payloads"
URL = f"{CALLBACK_PATH}?token=tok-4f9a"


def receiver_settings(tmp_path: Path, **overrides: str) -> ReceiverSettings:
    environ = {
        "VOCALS_CALLBACK_TOKENS": "tok-4f9a",
        "VOCALS_SPOOL_PATH": str(tmp_path / "spool.sqlite3"),
        "VOCALS_MAX_BODY_BYTES": "4096",
        **{f"VOCALS_{key.upper()}": value for key, value in overrides.items()},
    }
    return load(ReceiverSettings, environ)


@pytest.fixture
def publisher() -> FakePublisher:
    return FakePublisher()


@pytest.fixture
async def client(tmp_path: Path, publisher: FakePublisher) -> AsyncIterator[AsyncTestClient]:  # type: ignore[type-arg]
    app = create_app(receiver_settings(tmp_path), publisher=publisher)
    async with AsyncTestClient(app) as test_client:
        yield test_client


async def post(client: AsyncTestClient, body: bytes, url: str = URL, **headers: str):  # type: ignore[type-arg]
    return await client.post(url, content=body, headers={"content-type": "application/json", **headers})


async def test_valid_callback_is_published_then_acknowledged(client, publisher: FakePublisher) -> None:
    """A valid callback gets 200 {"status": "received"} and exactly one event on vocals.callbacks."""
    response = await post(client, (PAYLOADS / "complete.json").read_bytes())
    assert (response.status_code, response.json()) == (200, {"status": "received"})
    assert publisher.topics() == [CALLBACKS]
    event = decode_callback(publisher.published[0].value)
    assert (event.task_id, event.stage, len(event.tracks)) == ("3f1c9a7e52b04d6e8a9b0c1d2e3f4a5b", "complete", 2)


async def test_retried_callback_is_acknowledged_but_published_once(client, publisher: FakePublisher) -> None:
    """The provider's retry of the same callback gets 200 again and publishes nothing new."""
    body = (PAYLOADS / "first.json").read_bytes()
    replies = [await post(client, body) for _ in range(3)]
    assert [r.status_code for r in replies] == [200, 200, 200]
    assert len(publisher.published) == 1
    metrics = (await client.get("/metrics")).text
    assert "vocals_receiver_duplicates_suppressed_total 2.0" in metrics


@pytest.mark.parametrize(
    ("url", "headers", "reason"),
    [
        (CALLBACK_PATH, {}, "missing_credentials"),
        (f"{CALLBACK_PATH}?token=wrong", {}, "bad_token"),
        (f"{CALLBACK_PATH}?token=tok-4f9", {}, "bad_token"),
    ],
)
async def test_unauthenticated_requests_get_401_and_publish_nothing(
    client, publisher: FakePublisher, url: str, headers: dict[str, str], reason: str
) -> None:
    """No token or a wrong one is refused with 401 and its reason; nothing reaches Kafka or quarantine."""
    response = await post(client, (PAYLOADS / "complete.json").read_bytes(), url=url, **headers)
    assert response.status_code == 401
    assert response.json()["error"] == reason
    assert "tok-4f9a" not in response.text
    assert publisher.published == []


async def test_wrong_content_type_gets_415(client, publisher: FakePublisher) -> None:
    """A form-encoded body is refused with 415 before anything is read or published."""
    response = await client.post(URL, content=b"a=1", headers={"content-type": "application/x-www-form-urlencoded"})
    assert (response.status_code, response.json()["error"]) == (415, "unsupported_media_type")
    assert publisher.published == []


async def test_oversized_body_gets_413(client, publisher: FakePublisher) -> None:
    """A body over VOCALS_MAX_BODY_BYTES is refused with 413 naming the limit."""
    response = await post(client, b'{"pad": "' + b"x" * 5000 + b'"}')
    assert response.status_code == 413
    assert "4096 bytes" in response.json()["detail"]
    assert publisher.published == []


async def test_invalid_body_gets_400_naming_the_field_and_is_quarantined(client, publisher: FakePublisher) -> None:
    """A wrong-shaped authenticated body gets 400 naming the field, and its bytes are kept on vocals.quarantine."""
    body = b'{"code": "two hundred", "data": {"callbackType": "text", "task_id": "abc"}}'
    response = await post(client, body)
    assert response.status_code == 400
    assert "$.code" in response.json()["detail"]
    assert publisher.topics() == [QUARANTINE]
    kept = decode_quarantined(publisher.published[0].value)
    assert (kept.body, kept.task_id, publisher.published[0].key) == (body, "abc", b"abc")
    assert "$.code" in kept.error


async def test_not_json_gets_400_and_is_quarantined(client, publisher: FakePublisher) -> None:
    """A body that is not JSON at all gets 400 and is still kept raw."""
    response = await post(client, b"\xff\xfe not json")
    assert response.status_code == 400
    assert "not valid JSON" in response.json()["detail"]
    assert decode_quarantined(publisher.published[0].value).body == b"\xff\xfe not json"


async def test_unknown_type_and_code_are_accepted_and_counted(client, publisher: FakePublisher) -> None:
    """A new callbackType and an unheard-of code are published and counted, not rejected."""
    body = {"code": 777, "msg": "new", "data": {"callbackType": "remix", "task_id": "t-unknown", "data": []}}
    response = await post(client, json.dumps(body).encode())
    assert response.status_code == 200
    assert decode_callback(publisher.published[0].value).stage == "failed"
    metrics = (await client.get("/metrics")).text
    assert 'vocals_receiver_callbacks_total{code="777",outcome="published",stage="failed"} 1.0' in metrics


async def test_kafka_down_spools_and_drains_in_task_order(client, publisher: FakePublisher) -> None:
    """While publishing fails callbacks are still answered 200; once it works again the spool drains in order."""
    publisher.down = True
    stages = ["text", "first", "complete"]
    for stage in stages:
        body = {"code": 200, "msg": "", "data": {"callbackType": stage, "task_id": "t-order", "data": []}}
        assert (await post(client, json.dumps(body).encode())).status_code == 200
    ready = (await client.get("/readyz")).json()
    assert (ready["status"], ready["spool_events"]) == ("degraded", 3)
    publisher.down = False
    for _ in range(500):
        if len(publisher.published) == 3:
            break
        await asyncio.sleep(0.01)
    assert [decode_callback(m.value).callback_type for m in publisher.published] == stages
    assert (await client.get("/readyz")).json()["spool_events"] == 0


async def test_full_spool_answers_503(tmp_path: Path) -> None:
    """With Kafka down and the spool at its bound, the receiver answers 503 so the provider retries later."""
    publisher = FakePublisher()
    publisher.down = True
    app = create_app(receiver_settings(tmp_path, spool_max_events="1"), publisher=publisher)
    async with AsyncTestClient(app) as client:
        first = await post(client, (PAYLOADS / "text.json").read_bytes())
        second = await post(client, (PAYLOADS / "complete.json").read_bytes())
        assert (first.status_code, second.status_code) == (200, 503)
        assert second.headers["retry-after"] == "30"
        assert (await client.get("/readyz")).status_code == 503


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=20,
)
callback_like = st.fixed_dictionaries(
    {"code": json_values | st.integers(), "msg": json_values},
    optional={
        "data": st.fixed_dictionaries(
            {"callbackType": json_values | st.sampled_from(["text", "first", "complete", "error"])},
            optional={"task_id": json_values | st.from_regex(r"[a-z0-9]{1,8}", fullmatch=True), "data": json_values},
        )
    },
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(document=json_values | callback_like)
async def test_arbitrary_json_never_gets_a_5xx(client, document: object) -> None:
    """Whatever JSON arrives, the answer is 200 or a 4xx: never a server error."""
    response = await post(client, msgspec.json.encode(document))
    assert response.status_code in (200, 400)


async def test_openapi_documents_the_callback_route(client) -> None:
    """The OpenAPI document describes POST /callbacks/vocals with the provider's envelope and every reply."""
    document = (await client.get("/schema/openapi.json")).json()
    operation = document["paths"][CALLBACK_PATH]["post"]
    assert operation["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ProviderCallback"
    }
    assert set(operation["responses"]) == {"200", "400", "401", "413", "415", "503"}
    assert "task_id" in document["components"]["schemas"]["ProviderCallbackData"]["properties"]


async def test_only_post_is_allowed(client) -> None:
    """A GET on the callback path gets 405, not a crash or a silent 200."""
    response = await client.get(URL)
    assert (response.status_code, response.json()["error"]) == (405, "method_not_allowed")


async def test_spool_metrics_follow_the_spool(client, publisher: FakePublisher) -> None:
    """While events wait in the spool, depth and oldest age are exported; Kafka shows as disconnected."""
    publisher.down = True
    assert (await post(client, (PAYLOADS / "text.json").read_bytes())).status_code == 200
    metrics = (await client.get("/metrics")).text
    assert "vocals_receiver_spool_events 1.0" in metrics
    assert "vocals_receiver_kafka_connected 0.0" in metrics
    [age] = [
        sample.value
        for family in text_string_to_metric_families(metrics)
        for sample in family.samples
        if sample.name == "vocals_receiver_spool_oldest_age_seconds"
    ]
    assert 0 < age < 60


async def test_metrics_pass_promtool_lint(client, publisher: FakePublisher) -> None:
    """The exported metrics, with every family populated, pass `promtool check metrics` without a warning."""
    await post(client, (PAYLOADS / "complete.json").read_bytes())
    await post(client, (PAYLOADS / "complete.json").read_bytes())
    await post(client, b"{}", url=CALLBACK_PATH)
    exposition = (await client.get("/metrics")).content
    result = await asyncio.to_thread(
        subprocess.run, ["promtool", "check", "metrics"], input=exposition, capture_output=True, check=False
    )
    assert (result.returncode, result.stdout + result.stderr) == (0, b"")
