"""Failure codes in words a team can act on: what happened, and what to do next."""

from typing import NamedTuple

from services.notifier.notice import Notice


class Explanation(NamedTuple):
    what: str
    next_step: str


_BY_CODE: dict[int, Explanation] = {
    400: Explanation(
        "The provider rejected the content or a parameter of the request.",
        "Check the prompt, style and parameters against the provider's rules, then submit the task again.",
    ),
    401: Explanation(
        "The provider did not accept the API key.",
        "Check the API key used to submit tasks (is it current, and for this account?), then submit again.",
    ),
    413: Explanation(
        "The prompt or the style is too long for the provider.",
        "Shorten the prompt or the style, then submit the task again.",
    ),
    429: Explanation(
        "The provider account is out of credits.",
        "Top up the account's credits, then submit the task again.",
    ),
    451: Explanation(
        "The provider could not download the source audio (the instrumental's upload URL).",
        "Make sure the upload URL is public and still valid, then submit the task again.",
    ),
    500: Explanation(
        "The provider had an internal error.",
        "Retry later; if it keeps failing, contact the provider with the task id.",
    ),
    531: Explanation(
        "Generation failed and the provider refunded the credits.",
        "Submit the task again; nothing was charged for this attempt.",
    ),
}

CONTENT_BLOCKED = Explanation(
    "The provider's content filter refused words in the prompt, lyrics, style or title (SENSITIVE_WORD_ERROR).",
    "Reword the flagged content, then submit the task again; retrying unchanged fails the same way.",
)


def explain(notice: Notice) -> Explanation:
    """Why a failed task failed, from its code; unknown codes are said to be unknown, never guessed."""
    if notice.content_blocked:
        return CONTENT_BLOCKED
    if notice.code in _BY_CODE:
        return _BY_CODE[notice.code]
    if notice.code == 200:
        return Explanation(
            f"The provider reported the task as {notice.callback_type or 'failed'} without an error code.",
            "Read the provider's message below; submit the task again if it does not say otherwise.",
        )
    return Explanation(
        f"The provider failed the task with code {notice.code}, a code this notifier does not know.",
        "Read the provider's message below and look the code up in the provider's documentation.",
    )
