"""The Add Vocals request as the provider takes it, and the checks it must pass before it is sent."""

from dataclasses import dataclass
from typing import Final, Literal
from urllib.parse import urlsplit

import msgspec

MODELS: Final = ("V4_5PLUS", "V5", "V5_5")
VOCAL_GENDERS: Final = ("m", "f")
Model = Literal["V4_5PLUS", "V5", "V5_5"]
_WEIGHTS: Final = ("style_weight", "weirdness_constraint", "audio_weight")


class AddVocalsRequest(msgspec.Struct, frozen=True, kw_only=True, rename="camel", omit_defaults=True):
    """The JSON body of POST /api/v1/generate/add-vocals (`negative_tags` goes out as `negativeTags`)."""

    upload_url: str
    prompt: str
    title: str
    style: str
    negative_tags: str
    call_back_url: str
    vocal_gender: str | None = None
    style_weight: float | None = None
    weirdness_constraint: float | None = None
    audio_weight: float | None = None
    model: str = "V4_5PLUS"


@dataclass(frozen=True, kw_only=True)
class Limits:
    """Lengths the provider documents. Its docs give 80 or 100 for the title: 80 passes both."""

    title_max_chars: int = 80
    prompt_max_chars: int = 5000
    style_max_chars: int = 1000


class InvalidRequest(ValueError):
    """The request would be refused; `problems` lists every reason, one sentence each."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


def check(request: AddVocalsRequest, limits: Limits | None = None) -> None:
    """Raise InvalidRequest listing everything the provider would refuse in `request`."""
    limits = limits or Limits()
    problems = [
        *_text("title", request.title, limits.title_max_chars),
        *_text("prompt", request.prompt, limits.prompt_max_chars),
        *_text("style", request.style, limits.style_max_chars),
        *_url("uploadUrl", request.upload_url),
        *_url("callBackUrl", request.call_back_url),
        *_choice("model", request.model, MODELS),
        *([] if request.vocal_gender is None else _choice("vocalGender", request.vocal_gender, VOCAL_GENDERS)),
    ]
    for name in _WEIGHTS:
        value = getattr(request, name)
        if value is not None:
            problems += _weight(_camel(name), value)
    if problems:
        raise InvalidRequest(problems)


def _text(name: str, value: str, limit: int) -> list[str]:
    if not value.strip():
        return [f"{name} is empty: the provider requires it"]
    if len(value) > limit:
        return [f"{name} is {len(value)} characters long; the provider accepts at most {limit}"]
    return []


def _url(name: str, value: str) -> list[str]:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return [f"{name} must be an http(s) URL the provider can reach, got {value!r}"]
    return []


def _choice(name: str, value: str, allowed: tuple[str, ...]) -> list[str]:
    return [] if value in allowed else [f"{name} must be one of {', '.join(allowed)}, got {value!r}"]


def _weight(name: str, value: float) -> list[str]:
    if not 0 <= value <= 1:
        return [f"{name} must be between 0 and 1, got {value}"]
    if abs(value * 100 - round(value * 100)) > 1e-6:
        return [f"{name} must be a multiple of 0.01 (two decimals at most), got {value}"]
    return []


def _camel(name: str) -> str:
    first, *rest = name.split("_")
    return first + "".join(part.title() for part in rest)
