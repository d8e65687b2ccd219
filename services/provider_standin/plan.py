"""A task's timeline, decided at submit: when its status changes and which callbacks go out when.

Pure: the runner sleeps until each moment and does what the plan says; tests read the plan directly.
"""

from dataclasses import dataclass

from services.provider_standin.scenario import STAGES, Scenario

REORDER_GAP_SECONDS = 0.1
"""Held-back callbacks go out this far apart, newest first, so their order of arrival is the reverse one."""
_PROGRESS = {"text": ("TEXT_SUCCESS", 0), "first": ("FIRST_SUCCESS", 1), "complete": ("SUCCESS", 2)}
_MESSAGES = {
    400: "Vocal generation failed: the request or its content was rejected.",
    401: "Invalid API key.",
    408: "Generation timed out.",
    413: "The prompt or style is too long.",
    429: "Insufficient credits to generate vocals.",
    451: "Failed to download the source audio.",
    500: "Internal error, please try again later.",
    501: "Generation failed.",
    531: "Generation failed, credits refunded.",
}
_CREATE_FAILURES = frozenset({400, 401, 413, 429})


@dataclass(frozen=True)
class Failure:
    code: int
    status: str
    """The record-info status from then on."""
    at: str
    """The stage whose moment the failure takes."""
    msg: str
    called_back: bool = True
    """False for CALLBACK_EXCEPTION: the provider's own callback is what failed."""


@dataclass(frozen=True)
class Delays:
    text: float
    first: float
    complete: float

    def at(self, stage: str) -> float:
        return {"text": self.text, "first": self.text + self.first}.get(stage, self.text + self.first + self.complete)


@dataclass(frozen=True)
class Step:
    at: float
    status: str
    finished_tracks: int


@dataclass(frozen=True)
class Send:
    at: float
    stage: str
    """text, first, complete or failed: which callback body to send."""
    copies: int


@dataclass(frozen=True)
class Plan:
    steps: tuple[Step, ...]
    sends: tuple[Send, ...]
    failure: Failure | None


def failure_of(scenario: Scenario) -> Failure | None:
    """What `fail=` means: the code, the status record-info shows, and the stage it replaces."""
    if scenario.fail is None:
        return None
    if scenario.fail == "sensitive":
        msg = "The prompt contains sensitive words and cannot be used."
        return Failure(400, "SENSITIVE_WORD_ERROR", scenario.fail_at or "text", msg)
    if scenario.fail == "callback":
        return Failure(500, "CALLBACK_EXCEPTION", scenario.fail_at or "complete", "Callback failed.", False)
    code = int(scenario.fail)
    created = code in _CREATE_FAILURES
    status = "CREATE_TASK_FAILED" if created else "GENERATE_AUDIO_FAILED"
    default_at = "text" if created or code == 451 else "first"
    return Failure(code, status, scenario.fail_at or default_at, _MESSAGES.get(code, "Generation failed."))


def plan(scenario: Scenario, delays: Delays) -> Plan:
    """The steps and callbacks of a task with this scenario and these stage delays."""
    failure = failure_of(scenario)
    steps: list[Step] = []
    sends: list[Send] = []
    copies = 1 + scenario.duplicates
    for stage in STAGES:
        at = delays.at(stage)
        if failure is not None and failure.at == stage:
            finished = 2 if failure.status == "CALLBACK_EXCEPTION" else (steps[-1].finished_tracks if steps else 0)
            steps.append(Step(at, failure.status, finished))
            if failure.called_back and "failed" not in scenario.skip:
                sends.append(Send(at, "failed", copies))
            break
        status, finished = _PROGRESS[stage]
        steps.append(Step(at, status, finished))
        if stage not in scenario.skip:
            sends.append(Send(at, stage, copies))
    if scenario.reorder and sends:
        last = steps[-1].at
        sends = [Send(last + i * REORDER_GAP_SECONDS, s.stage, s.copies) for i, s in enumerate(reversed(sends))]
    return Plan(tuple(steps), tuple(sends), failure)
