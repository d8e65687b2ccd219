"""Callbacks the provider gave up on are recovered by the reconciler's polling, through the real broker."""

import asyncio
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from schemas.codec import decode_callback
from schemas.events import Origin, Stage
from schemas.topics import CALLBACKS
from services.cli.main import main as vocals
from tests.fixtures.kafka import consume_all
from tests.integration.provider_standin.running import (
    API_KEY,
    new_prefix,
    reconciler_environ,
    running_receiver,
    running_reconciler,
    running_standin,
    wait_for,
)
from tests.integration.receiver.running import TOKEN


@pytest.fixture
async def prefix(kafka_bootstrap: str) -> str:
    return await new_prefix(kafka_bootstrap)


def cli_environ(bootstrap: str, prefix: str, standin_url: str, receiver_url: str) -> dict[str, str]:
    return {
        "VOCALS_PROVIDER_BASE_URL": standin_url,
        "VOCALS_PROVIDER_API_KEY": API_KEY,
        "VOCALS_RECEIVER_URL": receiver_url,
        "VOCALS_CALLBACK_TOKENS": TOKEN,
        "VOCALS_KAFKA_BOOTSTRAP": bootstrap,
        "VOCALS_KAFKA_TOPIC_PREFIX": prefix,
    }


async def test_an_outage_longer_than_the_retries_is_recovered_by_polling(
    tmp_path: Path, kafka_bootstrap: str, prefix: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A task submitted with `vocals submit` while the receiver is down loses every callback (4 attempts each);
    the reconciler, told by vocals.submitted, polls it and publishes `complete` with origin=poll, exactly once."""
    database = f"sqlite+aiosqlite:///{tmp_path / 'reconciler.sqlite3'}"
    async with running_standin() as standin, running_receiver(tmp_path, kafka_bootstrap, prefix) as receiver:
        await receiver.stop()
        environ = cli_environ(kafka_bootstrap, prefix, standin.url, receiver.served.url)
        submit = [
            "submit",
            "--upload-url",
            standin.upload_url(),
            "--prompt",
            "la la",
            "--title",
            "Lost",
            "--style",
            "pop",
        ]
        assert await _in_thread(vocals, submit, environ) == 0
        [task_id] = re.findall(r"^[0-9a-f]{32}$", capsys.readouterr().out, re.MULTILINE)
        await standin.runner.idle()
        lost = {stage: await standin.attempts(task_id, stage) for stage in ("text", "first", "complete")}
        await receiver.start()
        settings = reconciler_environ(bootstrap=kafka_bootstrap, prefix=prefix, database_url=database, standin=standin)
        async with running_reconciler(settings) as reconciler:

            async def recovered() -> bool:
                return (
                    reconciler.registry.get_sample_value("vocals_reconciler_published_total", {"stage": "complete"})
                    == 1
                )

            await wait_for(recovered, "the reconciler published the lost complete")
            assert await reconciler.store.watched() == 0
    assert lost == {stage: ["unreachable"] * 4 for stage in ("text", "first", "complete")}
    [record] = await consume_all(kafka_bootstrap, prefix + CALLBACKS, 1)
    event = decode_callback(record.value)
    assert (event.task_id, event.stage, event.origin, event.callback_type) == (
        task_id,
        Stage.COMPLETE,
        Origin.POLL,
        "SUCCESS",
    )
    assert dict(record.headers)["ce_source"] == b"/vocals/reconciler"
    assert all(track.audio_url and track.audio_url.startswith(standin.url) for track in event.tracks)


async def test_sensitive_word_error_without_a_callback_is_final_after_one_poll(
    tmp_path: Path, kafka_bootstrap: str, prefix: str
) -> None:
    """A task whose text arrived but whose SENSITIVE_WORD_ERROR callback never came is polled once, published as a
    failure, and never polled again."""
    database = f"sqlite+aiosqlite:///{tmp_path / 'reconciler.sqlite3'}"
    async with running_standin() as standin, running_receiver(tmp_path, kafka_bootstrap, prefix) as receiver:
        settings = reconciler_environ(bootstrap=kafka_bootstrap, prefix=prefix, database_url=database, standin=standin)
        async with running_reconciler(settings) as reconciler:
            environ = cli_environ(kafka_bootstrap, prefix, standin.url, receiver.served.url)
            scenario = ["--scenario", "fail=sensitive fail-at=first skip=failed", "--no-watch"]
            submit = ["submit", "--upload-url", standin.upload_url(), "--prompt", "x", "--title", "T", "--style", "pop"]
            assert await _in_thread(vocals, [*submit, *scenario], environ) == 0

            def polls(outcome: str) -> float:
                return reconciler.registry.get_sample_value("vocals_reconciler_polls_total", {"outcome": outcome}) or 0

            async def published() -> bool:
                return polls("published") == 1

            await wait_for(published, "the reconciler published the failure")
            assert await reconciler.poller.poll_due() == []
            assert polls("no_news") == 0
    records = await consume_all(kafka_bootstrap, prefix + CALLBACKS, 2)
    events = [decode_callback(r.value) for r in records]
    assert [(e.stage, e.origin) for e in events] == [(Stage.TEXT, Origin.CALLBACK), (Stage.FAILED, Origin.POLL)]
    assert (events[1].code, events[1].callback_type) == (400, "SENSITIVE_WORD_ERROR")


async def _in_thread(
    command: Callable[[list[str], dict[str, str]], int], argv: list[str], environ: dict[str, str]
) -> int:
    """Run the CLI (it calls asyncio.run) on a worker thread, so this test's loop keeps serving meanwhile."""
    return await asyncio.to_thread(command, argv, environ)
