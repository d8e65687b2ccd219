"""The provider's API from our side: an async client, the Add Vocals request with its checks, error codes in words.

A library shared by the `vocals` CLI and the reconciler (like `services.plumbing`, it is not a service).
"""

from services.provider_client.client import ProviderClient
from services.provider_client.errors import ProviderError, ProviderUnavailable, describe_code
from services.provider_client.request import AddVocalsRequest, InvalidRequest, Limits, check

__all__ = [
    "AddVocalsRequest",
    "InvalidRequest",
    "Limits",
    "ProviderClient",
    "ProviderError",
    "ProviderUnavailable",
    "check",
    "describe_code",
]
