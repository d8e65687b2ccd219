"""Scenario knobs are read from the header or the prompt, strictly, and drawn from rates when none is named."""

import random

import pytest

from services.provider_standin.scenario import Scenario, ScenarioError, drawn, parse, scenario_text


def test_every_token_sets_its_knob() -> None:
    """A full scenario string sets each knob to the value it names."""
    scenario = parse(
        "skip=text+first, duplicate=2 reorder fail=531 fail-at=complete fail-type=error fail-data=null "
        "time=iso expire=1.5 slow=0.2 sign outage=30 duration=4 reject=455"
    )
    assert scenario == Scenario(
        skip=frozenset({"text", "first"}),
        duplicates=2,
        reorder=True,
        fail="531",
        fail_at="complete",
        fail_type="error",
        fail_data="null",
        time_format="iso",
        expire_after=1.5,
        slow=0.2,
        sign=True,
        outage=30.0,
        duration=4.0,
        reject=455,
    )
    assert scenario.tokens[:2] == ("skip=text+first", "duplicate=2")


def test_bare_duplicate_means_one_more_copy_and_named_failures_are_kept() -> None:
    """`duplicate` alone adds one copy; `fail=sensitive` and `fail=callback` are kept by name."""
    assert parse("duplicate").duplicates == 1
    assert parse("fail=Sensitive").fail == "sensitive"
    assert parse("fail=callback").fail == "callback"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("explode", "unknown scenario token 'explode'"),
        ("skip=middle", "skip='middle'"),
        ("fail=200", "any integer but 200"),
        ("time=yesterday", "expected one of ms, string, iso"),
        ("expire=-1", "zero or more"),
        ("duration=0", "positive"),
        ("slow=soon", "expected seconds"),
    ],
)
def test_unreadable_tokens_are_refused_by_name(text: str, words: str) -> None:
    """A token the stand-in cannot read raises ScenarioError naming it, rather than being ignored."""
    with pytest.raises(ScenarioError, match=words.replace("(", r"\(").replace(")", r"\)")):
        parse(text)


def test_header_wins_over_prompt_marker() -> None:
    """The header is used when present; otherwise a `[standin: ...]` marker in the prompt; otherwise none."""
    prompt = "[Verse]\nla la [standin: fail=429]"
    assert scenario_text("reorder", prompt) == "reorder"
    assert scenario_text(None, prompt) == " fail=429"
    assert scenario_text("  ", "[Verse] plain") is None


def test_rates_of_one_turn_every_knob_on_and_rates_of_zero_none() -> None:
    """Drawn scenarios follow the rates: all knobs at rate 1, none at rate 0."""
    rng = random.Random(7)
    everything = drawn(rng, duplicate=1, reorder=1, skip=1, failure=1, outage=1, outage_seconds=90)
    assert (everything.duplicates, everything.reorder, everything.outage) == (1, True, 90)
    assert everything.skip == frozenset({"text", "first"})
    assert everything.fail is not None
    nothing = drawn(rng, duplicate=0, reorder=0, skip=0, failure=0, outage=0, outage_seconds=90)
    assert (nothing.duplicates, nothing.reorder, nothing.skip, nothing.fail, nothing.outage) == (
        0,
        False,
        frozenset(),
        None,
        0,
    )
