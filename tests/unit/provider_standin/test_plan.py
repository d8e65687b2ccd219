"""A task's plan: the statuses record-info shows over time and the callbacks sent, for each scenario."""

import pytest

from services.provider_standin.plan import REORDER_GAP_SECONDS, Delays, Send, Step, plan
from services.provider_standin.scenario import parse

DELAYS = Delays(1.0, 2.0, 3.0)


def test_a_plain_task_calls_back_text_first_complete() -> None:
    """Without knobs, status goes TEXT_SUCCESS -> FIRST_SUCCESS -> SUCCESS and each stage is called back once."""
    timeline = plan(parse(""), DELAYS)
    assert timeline.steps == (Step(1.0, "TEXT_SUCCESS", 0), Step(3.0, "FIRST_SUCCESS", 1), Step(6.0, "SUCCESS", 2))
    assert timeline.sends == (Send(1.0, "text", 1), Send(3.0, "first", 1), Send(6.0, "complete", 1))
    assert timeline.failure is None


def test_skipped_stages_still_happen_but_are_not_called_back() -> None:
    """skip=text+first leaves the statuses alone and sends only `complete`, with duplicates as copies."""
    timeline = plan(parse("skip=text+first duplicate=2"), DELAYS)
    assert [step.status for step in timeline.steps] == ["TEXT_SUCCESS", "FIRST_SUCCESS", "SUCCESS"]
    assert timeline.sends == (Send(6.0, "complete", 3),)


def test_reorder_delivers_newest_first_after_the_task_ends() -> None:
    """reorder holds the callbacks back and sends complete, then first, then text."""
    timeline = plan(parse("reorder"), DELAYS)
    assert [send.stage for send in timeline.sends] == ["complete", "first", "text"]
    assert [send.at for send in timeline.sends] == [6.0, 6.0 + REORDER_GAP_SECONDS, 6.0 + 2 * REORDER_GAP_SECONDS]


@pytest.mark.parametrize(
    ("scenario", "statuses", "stages", "code"),
    [
        ("fail=429", ["CREATE_TASK_FAILED"], ["failed"], 429),
        ("fail=451", ["GENERATE_AUDIO_FAILED"], ["failed"], 451),
        ("fail=500", ["TEXT_SUCCESS", "GENERATE_AUDIO_FAILED"], ["text", "failed"], 500),
        (
            "fail=531 fail-at=complete",
            ["TEXT_SUCCESS", "FIRST_SUCCESS", "GENERATE_AUDIO_FAILED"],
            ["text", "first", "failed"],
            531,
        ),
        ("fail=sensitive", ["SENSITIVE_WORD_ERROR"], ["failed"], 400),
        ("fail=callback", ["TEXT_SUCCESS", "FIRST_SUCCESS", "CALLBACK_EXCEPTION"], ["text", "first"], 500),
        ("fail=500 skip=failed", ["TEXT_SUCCESS", "GENERATE_AUDIO_FAILED"], ["text"], 500),
    ],
)
def test_failures_end_the_task_with_their_status_and_code(
    scenario: str, statuses: list[str], stages: list[str], code: int
) -> None:
    """Each failure takes its stage's moment, ends the plan, and is called back unless it is the callback itself."""
    timeline = plan(parse(scenario), DELAYS)
    assert [step.status for step in timeline.steps] == statuses
    assert [send.stage for send in timeline.sends] == stages
    assert timeline.failure is not None
    assert timeline.failure.code == code


def test_a_failure_after_first_keeps_the_finished_track_and_callback_exception_has_both() -> None:
    """A failure at `complete` keeps one finished track; CALLBACK_EXCEPTION happens after both are generated."""
    assert plan(parse("fail=500 fail-at=complete"), DELAYS).steps[-1].finished_tracks == 1
    assert plan(parse("fail=callback"), DELAYS).steps[-1].finished_tracks == 2
