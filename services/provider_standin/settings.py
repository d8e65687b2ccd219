"""The stand-in's settings: every field is a `VOCALS_<FIELD>` variable, all named `standin_*` so they never
clash with a service's variables when `make dev` and `make demo` share one environment."""

from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from services.plumbing.settings import SettingsError, secret

Rate = Annotated[float, Meta(ge=0, le=1)]


class StandinSettings(msgspec.Struct, frozen=True, kw_only=True):
    """How the stand-in listens, how fast it 'generates', how it calls back, and how often it misbehaves."""

    standin_host: Annotated[str, Meta(description="Address the stand-in listens on.")] = "127.0.0.1"
    standin_port: Annotated[int, Meta(description="Port the stand-in listens on.", ge=1, le=65535)] = 8090
    standin_public_url: Annotated[str, Meta(description="Base URL of the file links the stand-in hands out.")] = (
        "http://127.0.0.1:8090"
    )
    standin_api_keys: Annotated[tuple[str, ...], secret("Bearer keys the stand-in accepts, comma-separated.")] = (
        "standin-key",
    )
    standin_text_delay_seconds: Annotated[float, Meta(description="Submit to the `text` stage.", ge=0)] = 3.0
    standin_first_delay_seconds: Annotated[float, Meta(description="`text` to `first` (one track finished).", ge=0)] = (
        8.0
    )
    standin_complete_delay_seconds: Annotated[
        float, Meta(description="`first` to `complete` (both finished).", ge=0)
    ] = 6.0
    standin_track_min_seconds: Annotated[float, Meta(description="Shortest generated track.", gt=0)] = 20.0
    standin_track_max_seconds: Annotated[float, Meta(description="Longest generated track.", gt=0)] = 40.0
    standin_callback_timeout_seconds: Annotated[
        float, Meta(description="How long one callback waits for the receiver's reply.", gt=0)
    ] = 15.0
    standin_callback_retries: Annotated[
        int, Meta(description="Retries of a failed callback before it is dropped.", ge=0)
    ] = 3
    standin_callback_retry_delay_seconds: Annotated[
        float, Meta(description="Wait before the first retry; doubles for each further retry.", ge=0)
    ] = 5.0
    standin_signing_key: Annotated[str, secret("HMAC key for signed callbacks (X-Webhook-Signature); empty: none.")] = (
        ""
    )
    standin_sign_all: Annotated[
        bool, Meta(description="Sign every callback, not only tasks whose scenario says `sign`.")
    ] = False
    standin_duplicate_rate: Annotated[Rate, Meta(description="Share of tasks whose callbacks are each sent twice.")] = (
        0.0
    )
    standin_reorder_rate: Annotated[Rate, Meta(description="Share of tasks whose callbacks arrive newest first.")] = 0.0
    standin_skip_rate: Annotated[Rate, Meta(description="Share of tasks that skip `text` and `first`.")] = 0.0
    standin_failure_rate: Annotated[
        Rate, Meta(description="Share of tasks that fail with a random documented code.")
    ] = 0.0
    standin_outage_rate: Annotated[Rate, Meta(description="Share of tasks whose callbacks all fail to arrive.")] = 0.0
    standin_outage_seconds: Annotated[
        float, Meta(description="How long a rate-chosen callback outage lasts, from submit.", ge=0)
    ] = 600.0
    standin_link_expiry_seconds: Annotated[
        float, Meta(description="File links answer 403 this long after they are ready; 0: never.", ge=0)
    ] = 0.0
    standin_random_seed: Annotated[int, Meta(description="Seed of the rate draws; 0: a new seed every start.")] = 0
    standin_title_max_chars: Annotated[
        int, Meta(description="Longest title accepted (the docs say 80 or 100).", ge=1)
    ] = 100
    standin_prompt_max_chars: Annotated[
        int, Meta(description="Longest prompt accepted; longer gets code 413.", ge=1)
    ] = 5000
    standin_style_max_chars: Annotated[int, Meta(description="Longest style accepted; longer gets code 413.", ge=1)] = (
        1000
    )
    standin_submit_limit: Annotated[int, Meta(description="Submits per key per window; more get code 405.", ge=1)] = 20
    standin_submit_window_seconds: Annotated[float, Meta(description="The window of `submit_limit`.", gt=0)] = 10.0
    standin_record_info_per_second: Annotated[
        int, Meta(description="record-info calls per task per second; more get code 430.", ge=1)
    ] = 3
    standin_credits: Annotated[
        int, Meta(description="Credits each key starts with; none left gets code 429.", ge=0)
    ] = 10_000
    standin_credits_per_task: Annotated[int, Meta(description="Credits one submit costs.", ge=0)] = 12
    standin_maintenance: Annotated[bool, Meta(description="Answer every API call with code 455 (maintenance).")] = False
    standin_fetch_upload_url: Annotated[
        bool, Meta(description="Download uploadUrl like the provider; failure fails the task with code 451.")
    ] = True
    standin_upload_timeout_seconds: Annotated[
        float, Meta(description="Longest the uploadUrl download may take.", gt=0)
    ] = 10.0
    log_level: Annotated[str, Meta(description="Log level: DEBUG, INFO, WARNING or ERROR.")] = "INFO"
    log_format: Annotated[Literal["auto", "json", "console"], Meta(description="auto: JSON unless on a TTY.")] = "auto"

    def __post_init__(self) -> None:
        if self.standin_track_max_seconds < self.standin_track_min_seconds:
            raise SettingsError(
                "VOCALS_STANDIN_TRACK_MAX_SECONDS is invalid: must be at least VOCALS_STANDIN_TRACK_MIN_SECONDS"
            )
        if not self.standin_api_keys:
            raise SettingsError("VOCALS_STANDIN_API_KEYS is required: the stand-in needs at least one key to accept")
