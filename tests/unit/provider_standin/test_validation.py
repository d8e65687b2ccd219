"""The stand-in refuses Add Vocals requests the way the provider documents: code 400 or 413, saying why."""

import json
from typing import Any

import pytest

from services.provider_standin.validation import ApiError, Limits, validate

LIMITS = Limits(title_max_chars=100, prompt_max_chars=5000, style_max_chars=1000)
VALID = {
    "uploadUrl": "https://example.com/instrumental.mp3",
    "prompt": "A calm piano track with soothing vocals",
    "title": "Relaxing Piano",
    "style": "Jazz",
    "negativeTags": "Heavy Metal",
    "callBackUrl": "https://receiver.example/callbacks/vocals?token=t",
}


def body(**changes: Any) -> bytes:
    params = {**VALID, **changes}
    return json.dumps({k: v for k, v in params.items() if v is not ...}).encode()


def test_valid_request_gets_the_default_model() -> None:
    """A request with every required field passes and is given model V4_5PLUS."""
    params = validate(body(styleWeight=0.61, audioWeight=1, vocalGender="f"), LIMITS)
    assert params["model"] == "V4_5PLUS"
    assert params["title"] == "Relaxing Piano"


@pytest.mark.parametrize(
    ("changes", "code", "words"),
    [
        ({"title": ...}, 400, "Missing required parameter(s): title"),
        ({"callBackUrl": ..., "negativeTags": ...}, 400, "negativeTags, callBackUrl"),
        ({"style": 7}, 400, "style must be a string"),
        ({"prompt": "  "}, 400, "prompt cannot be empty"),
        ({"uploadUrl": "ftp://x/y.mp3"}, 400, "uploadUrl must be a valid http(s) URL"),
        ({"title": "t" * 101}, 400, "title exceeds the maximum length of 100"),
        ({"prompt": "p" * 5001}, 413, "prompt exceeds"),
        ({"style": "s" * 1001}, 413, "style exceeds"),
        ({"vocalGender": "x"}, 400, "vocalGender must be 'm' or 'f'"),
        ({"model": "V3_5"}, 400, "model must be one of V4_5PLUS, V5, V5_5"),
        ({"styleWeight": 1.5}, 400, "styleWeight must be a number between 0 and 1"),
        ({"weirdnessConstraint": True}, 400, "weirdnessConstraint must be a number"),
        ({"audioWeight": 0.655}, 400, "audioWeight must be a multiple of 0.01"),
    ],
)
def test_refusals_carry_the_documented_code(changes: dict[str, Any], code: int, words: str) -> None:
    """Each invalid parameter is refused with its documented code and a message naming it."""
    with pytest.raises(ApiError) as refused:
        validate(body(**changes), LIMITS)
    assert refused.value.code == code
    assert words in refused.value.msg
    assert refused.value.reply() == {"code": code, "msg": refused.value.msg, "data": None}


@pytest.mark.parametrize("raw", [b"not json", b"[1, 2]"])
def test_a_body_that_is_not_an_object_is_a_400(raw: bytes) -> None:
    """Bodies that are not a JSON object are refused with code 400."""
    with pytest.raises(ApiError) as refused:
        validate(raw, LIMITS)
    assert refused.value.code == 400
