"""`vocals submit` checks every parameter before anything is sent, and says what is wrong with each."""

from typing import Any

import msgspec
import pytest

from services.provider_client import AddVocalsRequest, InvalidRequest, Limits, check


def request(**changes: Any) -> AddVocalsRequest:
    values = {
        "upload_url": "https://example.com/in.mp3",
        "prompt": "soft vocals",
        "title": "Hush",
        "style": "Jazz",
        "negative_tags": "",
        "call_back_url": "https://receiver.example/callbacks/vocals?token=t",
    }
    return AddVocalsRequest(**(values | changes))


def problems(candidate: AddVocalsRequest, limits: Limits | None = None) -> list[str]:
    with pytest.raises(InvalidRequest) as caught:
        check(candidate, limits)
    return caught.value.problems


def test_a_valid_request_passes_and_goes_out_in_camel_case() -> None:
    """A valid request passes; its JSON uses the provider's field names and leaves unset options out."""
    valid = request(style_weight=0.61, vocal_gender="f", model="V5")
    check(valid)
    body = msgspec.json.decode(msgspec.json.encode(valid))
    assert body == {
        "uploadUrl": "https://example.com/in.mp3",
        "prompt": "soft vocals",
        "title": "Hush",
        "style": "Jazz",
        "negativeTags": "",
        "callBackUrl": "https://receiver.example/callbacks/vocals?token=t",
        "vocalGender": "f",
        "styleWeight": 0.61,
        "model": "V5",
    }


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"title": "t" * 81}, "title is 81 characters long; the provider accepts at most 80"),
        ({"title": " "}, "title is empty"),
        ({"prompt": "p" * 5001}, "prompt is 5001 characters long"),
        ({"style": "s" * 1001}, "style is 1001 characters long"),
        ({"style_weight": 1.01}, "styleWeight must be between 0 and 1, got 1.01"),
        ({"audio_weight": -0.5}, "audioWeight must be between 0 and 1"),
        ({"weirdness_constraint": 0.333}, "weirdnessConstraint must be a multiple of 0.01"),
        ({"model": "V3_5"}, "model must be one of V4_5PLUS, V5, V5_5, got 'V3_5'"),
        ({"vocal_gender": "male"}, "vocalGender must be one of m, f, got 'male'"),
        ({"upload_url": "file:///etc/passwd"}, "uploadUrl must be an http(s) URL"),
        ({"call_back_url": "receiver:8080"}, "callBackUrl must be an http(s) URL"),
    ],
)
def test_each_invalid_parameter_is_named(changes: dict[str, Any], words: str) -> None:
    """An invalid parameter is reported in one sentence naming it and the accepted values."""
    [found] = problems(request(**changes))
    assert found.startswith(words)


def test_every_problem_is_reported_at_once_and_limits_are_configurable() -> None:
    """All problems come back together; a title limit of 100 accepts a title of 90 characters."""
    assert len(problems(request(title="", style_weight=2.0, model="X"))) == 3
    check(request(title="t" * 90), Limits(title_max_chars=100))
