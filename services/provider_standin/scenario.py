"""Scenario knobs: how one task misbehaves, named in the submit request or drawn from the settings' rates.

A scenario is a list of tokens separated by spaces or commas, given in the `X-Standin-Scenario` header or
as `[standin: ...]` anywhere in the prompt (the header wins):

    skip=text+first     those stages are never called back (a task may go straight to `complete`)
    duplicate[=N]       every callback is delivered N more times (default 1)
    reorder             callbacks held back and delivered newest first once the task ends
    fail=CODE           fail with that code (400 401 413 429 451 500 408 501 531 ... any integer)
    fail=sensitive      fail with SENSITIVE_WORD_ERROR (code 400)
    fail=callback       generate, then end as CALLBACK_EXCEPTION without a final callback
    fail-at=STAGE       the stage the failure replaces: text, first or complete
    fail-type=error     the failure's callbackType: failed (default) or error
    fail-data=null      the failure's data.data: empty (`[]`, default) or null
    time=FORMAT         createTime as ms (epoch milliseconds), string ("YYYY-MM-DD HH:MM:SS") or iso
    expire=SECONDS      file links answer 403 this long after they are ready
    slow=SECONDS        file links wait this long before answering
    sign                callbacks carry X-Webhook-Timestamp and X-Webhook-Signature
    outage=SECONDS      every delivery attempt fails for this long after submit (the receiver is unreachable)
    duration=SECONDS    both tracks last this long
    reject=CODE         the submit itself is refused with this code (no task is created)
"""

import random
import re
from dataclasses import dataclass, field, replace
from typing import Final

STAGES: Final = ("text", "first", "complete")
TIME_FORMATS: Final = ("ms", "string", "iso")
CALLBACK_CODES: Final = (400, 401, 408, 413, 429, 451, 500, 501, 531)
"""Failure codes seen in callbacks; the rate-drawn failures pick among them and `sensitive`."""
_MARKER = re.compile(r"\[standin:([^\]]*)\]", re.IGNORECASE)


class ScenarioError(ValueError):
    """A scenario token is unknown or its value is malformed; the message names the token."""


@dataclass(frozen=True, kw_only=True)
class Scenario:
    skip: frozenset[str] = frozenset()
    duplicates: int = 0
    reorder: bool = False
    fail: str | None = None
    fail_at: str | None = None
    fail_type: str = "failed"
    fail_data: str = "empty"
    time_format: str | None = None
    expire_after: float | None = None
    slow: float = 0.0
    sign: bool = False
    outage: float = 0.0
    duration: float | None = None
    reject: int | None = None
    tokens: tuple[str, ...] = field(default=(), compare=False)
    """The tokens as given, for the task's log line."""


def scenario_text(header: str | None, prompt: str) -> str | None:
    """The scenario a request names: its header, else the prompt's `[standin: ...]` marker, else None."""
    if header is not None and header.strip():
        return header
    found = _MARKER.search(prompt)
    return found.group(1) if found else None


def parse(text: str) -> Scenario:
    """Read a scenario; raises ScenarioError naming the first token it cannot read."""
    scenario = Scenario()
    tokens = tuple(token for token in re.split(r"[\s,]+", text.strip()) if token)
    for token in tokens:
        name, _, value = token.partition("=")
        scenario = _apply(scenario, name.lower(), value)
    return replace(scenario, tokens=tokens)


def drawn(
    rng: random.Random,
    *,
    duplicate: float,
    reorder: float,
    skip: float,
    failure: float,
    outage: float,
    outage_seconds: float,
) -> Scenario:
    """A scenario drawn from the rates, for a task that names none."""
    failing = rng.random() < failure
    fail = rng.choice([*map(str, CALLBACK_CODES), "sensitive"]) if failing else None
    return Scenario(
        duplicates=1 if rng.random() < duplicate else 0,
        reorder=rng.random() < reorder,
        skip=frozenset({"text", "first"}) if rng.random() < skip else frozenset(),
        fail=fail,
        fail_type=rng.choice(["failed", "error"]),
        fail_data=rng.choice(["empty", "null"]),
        outage=outage_seconds if rng.random() < outage else 0.0,
    )


def _apply(scenario: Scenario, name: str, value: str) -> Scenario:
    handlers = {
        "skip": lambda: replace(scenario, skip=_stages(value, allowed=(*STAGES, "failed"))),
        "duplicate": lambda: replace(scenario, duplicates=_count(name, value or "1")),
        "reorder": lambda: replace(scenario, reorder=True),
        "fail": lambda: replace(scenario, fail=_failure(value)),
        "fail-at": lambda: replace(scenario, fail_at=_one_of(name, value, STAGES)),
        "fail-type": lambda: replace(scenario, fail_type=_one_of(name, value, ("failed", "error"))),
        "fail-data": lambda: replace(scenario, fail_data=_one_of(name, value, ("empty", "null"))),
        "time": lambda: replace(scenario, time_format=_one_of(name, value, TIME_FORMATS)),
        "expire": lambda: replace(scenario, expire_after=_seconds(name, value)),
        "slow": lambda: replace(scenario, slow=_seconds(name, value)),
        "sign": lambda: replace(scenario, sign=True),
        "outage": lambda: replace(scenario, outage=_seconds(name, value)),
        "duration": lambda: replace(scenario, duration=_seconds(name, value, positive=True)),
        "reject": lambda: replace(scenario, reject=_code(name, value)),
    }
    if name not in handlers:
        raise ScenarioError(f"unknown scenario token {name!r}; known: {', '.join(sorted(handlers))}")
    return handlers[name]()


def _stages(value: str, *, allowed: tuple[str, ...]) -> frozenset[str]:
    stages = frozenset(part for part in value.lower().split("+") if part)
    unknown = stages - set(allowed)
    if not stages or unknown:
        raise ScenarioError(f"skip={value!r}: name stages joined by '+', among {', '.join(allowed)}")
    return stages


def _failure(value: str) -> str:
    if value.lower() in ("sensitive", "callback"):
        return value.lower()
    return str(_code("fail", value))


def _code(name: str, value: str) -> int:
    if not value.isdigit() or int(value) == 200:
        raise ScenarioError(f"{name}={value!r}: expected a failure code such as 429 (any integer but 200)")
    return int(value)


def _count(name: str, value: str) -> int:
    if not value.isdigit():
        raise ScenarioError(f"{name}={value!r}: expected a whole number of copies")
    return int(value)


def _seconds(name: str, value: str, *, positive: bool = False) -> float:
    try:
        seconds = float(value)
    except ValueError:
        raise ScenarioError(f"{name}={value!r}: expected seconds, such as 2.5") from None
    if seconds < 0 or (positive and seconds == 0):
        raise ScenarioError(f"{name}={value!r}: seconds must be {'positive' if positive else 'zero or more'}")
    return seconds


def _one_of(name: str, value: str, allowed: tuple[str, ...]) -> str:
    if value.lower() not in allowed:
        raise ScenarioError(f"{name}={value!r}: expected one of {', '.join(allowed)}")
    return value.lower()
