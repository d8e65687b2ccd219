"""The `vocals` command: refuses invalid parameters before any call, builds the callback URL, explains errors."""

import json

import pytest

from schemas.polling import parse_record_info
from services.cli.announce import submitted_event
from services.cli.main import callback_url, main
from services.cli.render import status_lines
from services.cli.settings import CliSettings
from services.plumbing.settings import load

ENV = {
    "VOCALS_PROVIDER_API_KEY": "k",
    "VOCALS_PROVIDER_BASE_URL": "http://127.0.0.1:9",  # nothing listens: any call would fail with exit code 1
    "VOCALS_RECEIVER_URL": "https://hooks.example.org/",
    "VOCALS_CALLBACK_TOKENS": "tok/en+1,older",
}
SUBMIT = ["submit", "--upload-url", "https://e.org/i.mp3", "--prompt", "p", "--title", "T", "--style", "Jazz"]


def test_callback_url_uses_the_receiver_url_and_the_first_token_quoted() -> None:
    """callBackUrl = receiver URL + /callbacks/vocals + ?token= the first configured token, URL-quoted."""
    settings = load(CliSettings, ENV)
    assert callback_url(settings) == "https://hooks.example.org/callbacks/vocals?token=tok%2Fen%2B1"


def test_invalid_parameters_exit_2_without_calling_the_provider(capsys: pytest.CaptureFixture[str]) -> None:
    """Bad weights and a long title are listed and the command exits 2 (a call would have exited 1)."""
    code = main([*SUBMIT, "--title", "x" * 81, "--style-weight", "0.555", "--model", "V9"], ENV)
    err = capsys.readouterr().err
    assert code == 2
    assert "not sent, the provider would refuse it" in err
    assert "title is 81 characters long; the provider accepts at most 80" in err
    assert "styleWeight must be a multiple of 0.01" in err
    assert "model must be one of V4_5PLUS, V5, V5_5" in err


def test_missing_token_or_key_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    """Without VOCALS_CALLBACK_TOKENS (and no --callback-url), or without an API key, the command exits 2 saying so."""
    assert main(SUBMIT, {**ENV, "VOCALS_CALLBACK_TOKENS": ""}) == 2
    assert "VOCALS_CALLBACK_TOKENS is not set" in capsys.readouterr().err
    assert main(["status", "t"], {**ENV, "VOCALS_PROVIDER_API_KEY": ""}) == 2
    assert "VOCALS_PROVIDER_API_KEY is not set" in capsys.readouterr().err


def test_an_unreachable_provider_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    """A provider that cannot be reached exits 1 with a message naming its URL."""
    assert main(["status", "t"], ENV) == 1
    assert "could not reach the provider at http://127.0.0.1:9" in capsys.readouterr().err


def test_status_lines_explain_the_status_and_the_error() -> None:
    """The status is shown with its meaning, whether it is final, and the error code in words."""
    data = {"taskId": "t", "status": "GENERATE_AUDIO_FAILED", "errorCode": 451, "errorMessage": "x"}
    body = json.dumps({"code": 200, "msg": "success", "data": data}).encode()
    lines = status_lines(parse_record_info(body))
    assert lines[0] == "task t: GENERATE_AUDIO_FAILED (the audio could not be generated; final)"
    assert lines[1].startswith("  error 451: the provider could not download the instrumental")


def test_the_submitted_event_id_depends_on_the_task_only() -> None:
    """Announcing a task twice produces one fact: the same event id."""
    first = submitted_event("t1", title="T", model="V5")
    again = submitted_event("t1", title="other", model="V5")
    assert first.event_id == again.event_id != submitted_event("t2", title="T", model="V5").event_id
