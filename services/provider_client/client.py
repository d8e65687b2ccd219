"""An async client for the provider's API: submit an Add Vocals task, read a task's record, read credits.

Every reply carries its outcome in the body's `code` (HTTP 200 or not): anything but 200 raises
ProviderError with the code in words. The API key goes only into the Authorization header.
"""

from collections.abc import Mapping
from types import TracebackType
from typing import Any, Self

import httpx
import msgspec

from schemas.polling import RecordInfoError, RecordInfoReply, parse_record_info
from services.provider_client.errors import ProviderError, ProviderUnavailable
from services.provider_client.request import AddVocalsRequest

SUBMIT_PATH = "/api/v1/generate/add-vocals"
RECORD_INFO_PATH = "/api/v1/generate/record-info"
CREDIT_PATH = "/api/v1/generate/credit"


class _Reply(msgspec.Struct):
    code: int
    msg: str = ""
    data: Any = None


class ProviderClient:
    """One HTTP connection pool to the provider; use as `async with ProviderClient(...) as client`."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float = 15.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {api_key}", "Accept": "application/json"},
            timeout=timeout,
            transport=transport,
        )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def submit(self, request: AddVocalsRequest, *, headers: Mapping[str, str] | None = None) -> str:
        """Submit a task and return its taskId; `headers` are sent as given (e.g. a stand-in's scenario)."""
        body = msgspec.json.encode(request)
        response = await self._call("POST", SUBMIT_PATH, "submit", content=body, headers=headers)
        reply = self._checked(response, "submit")
        task_id = reply.data.get("taskId") if isinstance(reply.data, dict) else None
        if not isinstance(task_id, str) or not task_id:
            raise ProviderUnavailable(f"submit at {self.base_url} answered success without a taskId: {response.text!r}")
        return task_id

    async def record_info(self, task_id: str) -> RecordInfoReply:
        """The task's record (status, tracks, error) as the provider keeps it."""
        response = await self._call("GET", RECORD_INFO_PATH, "record-info", params={"taskId": task_id})
        self._checked(response, f"record-info for {task_id}")
        try:
            return parse_record_info(response.content)
        except RecordInfoError as exc:
            raise ProviderUnavailable(f"record-info for {task_id} at {self.base_url}: {exc}") from None

    async def credits(self) -> int:
        """The account's remaining credits."""
        response = await self._call("GET", CREDIT_PATH, "credit")
        reply = self._checked(response, "credit")
        if not isinstance(reply.data, int):
            raise ProviderUnavailable(f"credit at {self.base_url} answered {reply.data!r}, not a number")
        return reply.data

    async def _call(self, method: str, path: str, operation: str, **options: Any) -> httpx.Response:
        headers = {"Content-Type": "application/json", **(options.pop("headers", None) or {})}
        try:
            return await self._http.request(method, path, headers=headers, **options)
        except httpx.TransportError as exc:
            raise ProviderUnavailable(
                f"{operation}: could not reach the provider at {self.base_url} ({type(exc).__name__}: {exc}); "
                "check VOCALS_PROVIDER_BASE_URL and the network, then retry"
            ) from exc

    def _checked(self, response: httpx.Response, operation: str) -> _Reply:
        try:
            reply = msgspec.json.decode(response.content, type=_Reply)
        except (msgspec.DecodeError, msgspec.ValidationError):
            if response.status_code != 200:
                raise ProviderError(response.status_code, response.text[:200], operation=operation) from None
            raise ProviderUnavailable(
                f"{operation}: the provider at {self.base_url} answered something that is not its JSON: "
                f"{response.text[:200]!r}"
            ) from None
        if reply.code != 200:
            raise ProviderError(reply.code, reply.msg, operation=operation)
        return reply
