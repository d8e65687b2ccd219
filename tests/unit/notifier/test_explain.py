"""Failure codes become words a team can act on; unknown codes are said to be unknown."""

from __future__ import annotations

import pytest

from services.notifier.explain import explain
from services.notifier.notice import Notice


def failed(code: int, callback_type: str = "failed", *, content_blocked: bool = False) -> Notice:
    return Notice(
        event_id="e", task_id="t", stage="failed", title="t", code=code, callback_type=callback_type,
        content_blocked=content_blocked,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("code", "what", "next_step"),
    [
        (400, "rejected the content or a parameter", "Check the prompt, style and parameters"),
        (401, "did not accept the API key", "Check the API key"),
        (413, "prompt or the style is too long", "Shorten the prompt or the style"),
        (429, "out of credits", "Top up the account's credits"),
        (451, "could not download the source audio", "upload URL is public"),
        (500, "internal error", "Retry later"),
        (531, "refunded the credits", "nothing was charged"),
    ],
)
def test_known_codes_are_explained(code: int, what: str, next_step: str) -> None:
    """Each documented code has its own explanation and next step."""
    explanation = explain(failed(code))

    assert what in explanation.what
    assert next_step in explanation.next_step


@pytest.mark.parametrize("code", [408, 501, 999])
def test_unknown_codes_are_said_to_be_unknown(code: int) -> None:
    """A code outside the documented list is named and called unknown, never guessed at."""
    explanation = explain(failed(code))

    assert explanation.what == f"The provider failed the task with code {code}, a code this notifier does not know."
    assert "provider's documentation" in explanation.next_step


def test_failure_type_without_error_code() -> None:
    """A callback typed `error` with code 200 says the provider failed it without a code."""
    assert explain(failed(200, "error")).what == "The provider reported the task as error without an error code."


def test_content_block_wins_over_the_code() -> None:
    """SENSITIVE_WORD_ERROR is explained as blocked content whatever the code."""
    assert "content filter" in explain(failed(500, content_blocked=True)).what
