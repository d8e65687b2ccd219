"""The provider's codes in words, and the two ways a call can fail: refused (a code) or unreachable."""

_WORDS: dict[int, str] = {
    400: "the provider refused the parameters or the content",
    401: "the provider refused the API key: check VOCALS_PROVIDER_API_KEY",
    404: "the provider has no such endpoint: check VOCALS_PROVIDER_BASE_URL",
    405: "the provider's rate limit was hit: wait a few seconds, then retry",
    408: "the generation timed out at the provider",
    413: "the prompt or the style is too long: shorten it",
    429: "the account is out of credits: top it up, then retry",
    430: "calling too often: poll a task at most every few seconds (the provider advises every 30 s)",
    451: "the provider could not download the instrumental: check that uploadUrl is public",
    455: "the provider is under maintenance: retry later",
    500: "the provider failed with a server error: retry later",
    501: "the generation failed at the provider",
    531: "the generation failed at the provider and the credits were refunded",
}
_RETRYABLE = frozenset({405, 430, 455, 500})


def describe_code(code: int) -> str:
    """A sentence for a provider code, known or not."""
    return _WORDS.get(code, f"the provider answered code {code}, which it does not document")


class ProviderError(Exception):
    """The provider answered with a code other than 200; `words` says what that means and what to do."""

    def __init__(self, code: int, msg: str, *, operation: str) -> None:
        self.code = code
        self.msg = msg
        self.operation = operation
        self.words = describe_code(code)
        detail = f" (provider said: {msg})" if msg else ""
        super().__init__(f"{operation} refused with code {code}: {self.words}{detail}")

    @property
    def retryable(self) -> bool:
        """True when the same call may succeed later without any change on our side."""
        return self.code in _RETRYABLE or self.code >= 500


class ProviderUnavailable(Exception):
    """The provider could not be reached or sent something that is not its API's JSON."""
