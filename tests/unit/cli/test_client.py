"""The provider client sends what the API expects and turns every non-200 code into an error in words."""

import json
from collections.abc import Callable

import httpx
import pytest

from services.provider_client import AddVocalsRequest, ProviderClient, ProviderError, ProviderUnavailable, describe_code

REQUEST = AddVocalsRequest(
    upload_url="https://example.com/in.mp3",
    prompt="p",
    title="t",
    style="s",
    negative_tags="",
    call_back_url="https://r.example/cb",
)


def client(answer: Callable[[httpx.Request], httpx.Response], seen: list[httpx.Request]) -> ProviderClient:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answer(request)

    return ProviderClient("https://provider.test/", "key-123", transport=httpx.MockTransport(handler))


async def test_submit_posts_the_request_with_the_bearer_key_and_returns_the_task_id() -> None:
    """submit POSTs the camelCase body to add-vocals with `Authorization: Bearer <key>` and returns data.taskId."""
    seen: list[httpx.Request] = []
    reply = {"code": 200, "msg": "success", "data": {"taskId": "abc123"}}
    async with client(lambda _: httpx.Response(200, json=reply), seen) as provider:
        task_id = await provider.submit(REQUEST, headers={"X-Standin-Scenario": "reorder"})
    [sent] = seen
    assert task_id == "abc123"
    assert (sent.method, str(sent.url)) == ("POST", "https://provider.test/api/v1/generate/add-vocals")
    assert sent.headers["authorization"] == "Bearer key-123"
    assert sent.headers["x-standin-scenario"] == "reorder"
    assert json.loads(sent.content)["callBackUrl"] == "https://r.example/cb"


@pytest.mark.parametrize(
    ("code", "words"),
    [
        (401, "refused the API key: check VOCALS_PROVIDER_API_KEY"),
        (405, "rate limit"),
        (413, "too long"),
        (429, "out of credits"),
        (430, "calling too often"),
        (455, "maintenance"),
        (500, "server error"),
        (999, "code 999, which it does not document"),
    ],
)
async def test_error_codes_in_the_body_are_explained(code: int, words: str) -> None:
    """A body code other than 200 (even with HTTP 200) raises ProviderError whose message explains the code."""
    reply = {"code": code, "msg": "nope", "data": None}
    async with client(lambda _: httpx.Response(200, json=reply), []) as provider:
        with pytest.raises(ProviderError) as refused:
            await provider.submit(REQUEST)
    assert refused.value.code == code
    assert words in str(refused.value)
    assert "(provider said: nope)" in str(refused.value)
    assert refused.value.retryable == (code in (405, 430, 455, 500, 999))


async def test_an_http_error_without_the_apis_json_is_a_provider_error_with_the_http_status() -> None:
    """A gateway page with HTTP 502 raises ProviderError(502); garbage with HTTP 200 raises ProviderUnavailable."""
    async with client(lambda _: httpx.Response(502, text="<html>bad gateway</html>"), []) as provider:
        with pytest.raises(ProviderError) as refused:
            await provider.record_info("t")
    assert refused.value.code == 502
    async with client(lambda _: httpx.Response(200, text="<html>"), []) as provider:
        with pytest.raises(ProviderUnavailable, match="not its JSON"):
            await provider.credits()


async def test_an_unreachable_provider_says_what_to_check() -> None:
    """A connection failure raises ProviderUnavailable naming the base URL and the variable to check."""

    def refuse(_: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused")

    async with client(refuse, []) as provider:
        with pytest.raises(ProviderUnavailable, match=r"https://provider.test .*VOCALS_PROVIDER_BASE_URL"):
            await provider.record_info("t")


async def test_record_info_is_parsed_with_the_polling_contract() -> None:
    """record-info sends taskId as a query parameter and returns the parsed reply with its status."""
    seen: list[httpx.Request] = []
    data = {"taskId": "t1", "status": "SENSITIVE_WORD_ERROR", "errorCode": 400, "errorMessage": "sensitive"}
    async with client(
        lambda _: httpx.Response(200, json={"code": 200, "msg": "success", "data": data}), seen
    ) as provider:
        reply = await provider.record_info("t1")
    assert seen[0].url.params["taskId"] == "t1"
    assert reply.info is not None
    assert (reply.info.status, reply.info.errorCode, reply.final) == ("SENSITIVE_WORD_ERROR", 400, True)
    assert describe_code(451).startswith("the provider could not download the instrumental")
