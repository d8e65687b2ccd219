"""The stand-in's callbacks, through the real receiver, land on vocals.callbacks as the contract says."""

import io
from pathlib import Path

import mutagen
import pytest

from schemas.codec import decode_callback
from schemas.events import CallbackReceived, Origin, Stage
from schemas.topics import CALLBACKS
from services.provider_client import AddVocalsRequest, ProviderClient
from tests.fixtures.kafka import consume_all
from tests.integration.provider_standin.running import (
    API_KEY,
    Receiver,
    Standin,
    new_prefix,
    running_receiver,
    running_standin,
    wait_for,
)


def request(standin: Standin, callback_url: str, title: str = "Neon Rain") -> AddVocalsRequest:
    return AddVocalsRequest(
        upload_url=standin.upload_url(),
        prompt="[Verse]\nNeon rain on an empty street",
        title=title,
        style="synthwave",
        negative_tags="metal",
        call_back_url=callback_url,
    )


async def submit_all(standin: Standin, receiver: Receiver, scenarios: dict[str, str]) -> dict[str, str]:
    """Submit one task per scenario and wait until every callback was delivered or dropped; name -> task id."""
    async with ProviderClient(standin.url, API_KEY) as client:
        ids = {}
        for name, scenario in scenarios.items():
            url = receiver.signed_url if "sign" in scenario.split() else receiver.callback_url
            ids[name] = await client.submit(request(standin, url), headers={"X-Standin-Scenario": scenario})
    await standin.runner.idle()
    return ids


async def events_by_task(bootstrap: str, topic: str, count: int) -> dict[str, list[CallbackReceived]]:
    found: dict[str, list[CallbackReceived]] = {}
    for record in await consume_all(bootstrap, topic, count):  # sorted by partition then offset: task order kept
        event = decode_callback(record.value)
        found.setdefault(event.task_id, []).append(event)
    return found


@pytest.fixture
async def prefix(kafka_bootstrap: str) -> str:
    return await new_prefix(kafka_bootstrap)


async def test_every_scenario_reaches_the_topic_as_its_stages(
    tmp_path: Path, kafka_bootstrap: str, prefix: str
) -> None:
    """Plain, duplicated, reordered, skipped, signed and failing tasks each leave exactly their stages, in arrival
    order, on vocals.callbacks: duplicates are dropped by the receiver, failures keep their code."""
    scenarios = {
        "plain": "time=string",
        "duplicate": "duplicate=2",
        "reorder": "reorder",
        "skip": "skip=text+first",
        "signed": "sign time=iso",
        "credits": "fail=429 fail-type=error fail-data=null",
        "late_failure": "fail=531",
    }
    expected = {
        "plain": ["text", "first", "complete"],
        "duplicate": ["text", "first", "complete"],
        "reorder": ["complete", "first", "text"],
        "skip": ["complete"],
        "signed": ["text", "first", "complete"],
        "credits": ["failed"],
        "late_failure": ["text", "failed"],
    }
    async with running_standin() as standin, running_receiver(tmp_path, kafka_bootstrap, prefix) as receiver:
        ids = await submit_all(standin, receiver, scenarios)
        duplicate_attempts = await standin.attempts(ids["duplicate"], "complete")
    found = await events_by_task(kafka_bootstrap, prefix + CALLBACKS, sum(map(len, expected.values())))
    assert {name: [e.stage.value for e in found[ids[name]]] for name in scenarios} == expected
    assert duplicate_attempts == ["delivered"] * 3
    [credits] = found[ids["credits"]]
    assert (credits.code, credits.callback_type, credits.tracks, credits.origin) == (429, "error", (), Origin.CALLBACK)
    assert found[ids["late_failure"]][1].code == 531
    first = found[ids["plain"]][1]
    assert first.tracks[0].duration is not None
    assert (first.tracks[1].audio_url, first.tracks[1].duration) == (None, None)
    assert first.tracks[1].stream_audio_url is not None


async def test_complete_links_serve_real_audio_of_the_reported_length(
    tmp_path: Path, kafka_bootstrap: str, prefix: str
) -> None:
    """The audio links of a `complete` event download as MP3s whose measured length matches `duration`."""
    async with running_standin() as standin, running_receiver(tmp_path, kafka_bootstrap, prefix) as receiver:
        ids = await submit_all(standin, receiver, {"plain": "skip=text+first"})
        [event] = (await events_by_task(kafka_bootstrap, prefix + CALLBACKS, 1))[ids["plain"]]
        for track in event.tracks:
            assert track.audio_url is not None
            assert track.image_url is not None
            audio = await standin.http.get(track.audio_url)
            cover = await standin.http.get(track.image_url)
            measured = mutagen.File(io.BytesIO(audio.content)).info.length
            assert track.duration is not None
            assert abs(measured - track.duration) < 0.2
            assert cover.headers["content-type"] in ("image/jpeg", "image/png")


async def test_a_short_receiver_outage_is_outlasted_by_the_retries(
    tmp_path: Path, kafka_bootstrap: str, prefix: str
) -> None:
    """With the receiver down for the first two attempts, the third attempt of each callback gets through."""
    async with (
        running_standin(callback_retry_delay_seconds="1") as standin,
        running_receiver(tmp_path, kafka_bootstrap, prefix) as receiver,
    ):
        await receiver.stop()
        async with ProviderClient(standin.url, API_KEY) as client:
            task_id = await client.submit(
                request(standin, receiver.callback_url), headers={"X-Standin-Scenario": "skip=text+first"}
            )

        async def failed_twice() -> bool:
            return len(await standin.attempts(task_id, "complete")) >= 2

        await wait_for(failed_twice, "two failed attempts of the complete callback")
        await receiver.start()
        await standin.runner.idle()
        attempts = await standin.attempts(task_id, "complete")
    assert attempts[:2] == ["unreachable", "unreachable"]
    assert attempts[-1] == "delivered"
    assert len(attempts) in (3, 4)
    [record] = await consume_all(kafka_bootstrap, prefix + CALLBACKS, 1)
    event = decode_callback(record.value)
    assert (event.task_id, event.stage) == (task_id, Stage.COMPLETE)
