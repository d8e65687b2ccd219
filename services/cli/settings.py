"""The CLI's settings: `VOCALS_*` variables shared with the services they concern (`VOCALS_CLI_<FIELD>` wins)."""

from typing import Annotated

from msgspec import Meta

from services.plumbing.kafka import KafkaSettings
from services.plumbing.settings import secret


class CliSettings(KafkaSettings, frozen=True, kw_only=True):
    """The provider to call, the receiver to be called back at, and Kafka to tell the reconciler."""

    provider_base_url: Annotated[str, Meta(description="The provider's API base URL.")] = "https://api.sunoapi.org"
    provider_api_key: Annotated[str, secret("The provider's API key (Bearer).")] = ""
    provider_timeout_seconds: Annotated[float, Meta(description="Longest one call to the provider may take.", gt=0)] = (
        15.0
    )
    receiver_url: Annotated[
        str, Meta(description="The receiver's public URL as the provider reaches it; callBackUrl starts with it.")
    ] = "http://127.0.0.1:8080"
    callback_tokens: Annotated[
        tuple[str, ...],
        secret("Accepted `?token=` values, comma-separated; several at once allow rotation."),
    ] = ()
    title_max_chars: Annotated[
        int, Meta(description="Longest title `vocals submit` sends (the provider's docs say 80 or 100).", ge=1)
    ] = 80
