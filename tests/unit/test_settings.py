"""Settings from VOCALS_* variables: typed, defaulted, and one clear line for a bad value."""

import pytest

from services.plumbing.settings import SettingsError, describe, load
from services.receiver.settings import ReceiverSettings


def test_values_are_converted_and_lists_split_on_commas() -> None:
    """Numbers are parsed, comma-separated tokens become a tuple, unset fields keep their defaults."""
    settings = load(
        ReceiverSettings,
        {"VOCALS_CALLBACK_TOKENS": "a, b,", "VOCALS_PORT": "9000", "VOCALS_PUBLISH_TIMEOUT_SECONDS": "2.5"},
    )
    assert settings.callback_tokens == ("a", "b")
    assert (settings.port, settings.publish_timeout_seconds) == (9000, 2.5)
    assert settings.kafka_bootstrap == "127.0.0.1:9092"


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"VOCALS_CALLBACK_TOKENS": "a", "VOCALS_PORT": "eighty"}, "VOCALS_PORT is invalid: Expected `int`"),
        ({"VOCALS_CALLBACK_TOKENS": "a", "VOCALS_PORT": "70000"}, "VOCALS_PORT is invalid: Expected `int` <= 65535"),
        ({"VOCALS_CALLBACK_TOKENS": "a", "VOCALS_KAFKA_ACKS": "2"}, "VOCALS_KAFKA_ACKS is invalid"),
        ({}, "VOCALS_CALLBACK_TOKENS is required"),
    ],
)
def test_bad_values_stop_start_up_naming_the_variable(environ: dict[str, str], message: str) -> None:
    """A malformed or missing value raises SettingsError whose one line names the variable."""
    with pytest.raises(SettingsError) as caught:
        load(ReceiverSettings, environ)
    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value)


def test_describe_never_shows_secrets() -> None:
    """Logged settings say only whether a secret is set, never its value."""
    settings = load(ReceiverSettings, {"VOCALS_CALLBACK_TOKENS": "s3cret-token"})
    shown = describe(settings)
    assert shown["callback_tokens"] == "<set>"
    assert shown["signing_keys"] == "<unset>"
    assert "s3cret-token" not in repr(shown)
    assert shown["port"] == 8080


def test_service_specific_variable_wins_over_the_shared_one() -> None:
    """VOCALS_<SERVICE>_<FIELD> overrides VOCALS_<FIELD> for that service only, so services sharing one
    environment can listen on different ports."""
    environ = {"VOCALS_CALLBACK_TOKENS": "a", "VOCALS_PORT": "9000", "VOCALS_RECEIVER_PORT": "9100"}
    assert load(ReceiverSettings, environ, service="receiver").port == 9100
    assert load(ReceiverSettings, environ, service="archiver").port == 9000
    assert load(ReceiverSettings, environ).port == 9000
