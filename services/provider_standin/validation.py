"""The provider's checks of an Add Vocals request, answered with its documented codes (400 and 413)."""

import json
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit

REQUIRED: Final = ("uploadUrl", "prompt", "title", "style", "negativeTags", "callBackUrl")
MODELS: Final = ("V4_5PLUS", "V5", "V5_5")
WEIGHTS: Final = ("styleWeight", "weirdnessConstraint", "audioWeight")


class ApiError(Exception):
    """A reply with a code other than 200: the body the provider would send."""

    def __init__(self, code: int, msg: str) -> None:
        super().__init__(f"{code}: {msg}")
        self.code = code
        self.msg = msg

    def reply(self) -> dict[str, Any]:
        return {"code": self.code, "msg": self.msg, "data": None}


@dataclass(frozen=True, kw_only=True)
class Limits:
    title_max_chars: int
    prompt_max_chars: int
    style_max_chars: int


def validate(body: bytes, limits: Limits) -> dict[str, Any]:
    """The request's parameters (model defaulted), or ApiError with the code the provider answers."""
    try:
        params = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ApiError(400, "The request body is not valid JSON.") from None
    if not isinstance(params, dict):
        raise ApiError(400, "The request body must be a JSON object.")
    missing = [name for name in REQUIRED if params.get(name) is None]
    if missing:
        raise ApiError(400, f"Missing required parameter(s): {', '.join(missing)}.")
    _strings(params)
    _lengths(params, limits)
    _options(params)
    return {**params, "model": params.get("model") or "V4_5PLUS"}


def _strings(params: dict[str, Any]) -> None:
    for name in REQUIRED:
        if not isinstance(params[name], str):
            raise ApiError(400, f"{name} must be a string.")
    for name in ("prompt", "title", "style"):
        if not params[name].strip():
            raise ApiError(400, f"{name} cannot be empty.")
    for name in ("uploadUrl", "callBackUrl"):
        parts = urlsplit(params[name])
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ApiError(400, f"{name} must be a valid http(s) URL.")


def _lengths(params: dict[str, Any], limits: Limits) -> None:
    if len(params["title"]) > limits.title_max_chars:
        raise ApiError(400, f"title exceeds the maximum length of {limits.title_max_chars} characters.")
    if len(params["prompt"]) > limits.prompt_max_chars:
        raise ApiError(413, f"prompt exceeds the maximum length of {limits.prompt_max_chars} characters.")
    if len(params["style"]) > limits.style_max_chars:
        raise ApiError(413, f"style exceeds the maximum length of {limits.style_max_chars} characters.")


def _options(params: dict[str, Any]) -> None:
    gender = params.get("vocalGender")
    if gender is not None and gender not in ("m", "f"):
        raise ApiError(400, "vocalGender must be 'm' or 'f'.")
    model = params.get("model")
    if model is not None and model not in MODELS:
        raise ApiError(400, f"model must be one of {', '.join(MODELS)}.")
    for name in WEIGHTS:
        value = params.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
            raise ApiError(400, f"{name} must be a number between 0 and 1.")
        if abs(value * 100 - round(value * 100)) > 1e-6:
            raise ApiError(400, f"{name} must be a multiple of 0.01.")
