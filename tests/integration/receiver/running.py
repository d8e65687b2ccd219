"""A real receiver process-in-the-loop: the Litestar app under uvicorn on a free loopback port."""

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import uvicorn

from services.plumbing.settings import load
from services.receiver.app import create_app
from services.receiver.settings import ReceiverSettings

TOKEN = "it-token-7c1e"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@asynccontextmanager
async def running_receiver(
    tmp_path: Path, bootstrap: str, prefix: str, **overrides: str
) -> AsyncIterator[tuple[httpx.AsyncClient, ReceiverSettings]]:
    """Serve the receiver over real HTTP; yields a client whose base URL is the receiver."""
    port = free_port()
    environ = {
        "VOCALS_CALLBACK_TOKENS": TOKEN,
        "VOCALS_KAFKA_BOOTSTRAP": bootstrap,
        "VOCALS_KAFKA_TOPIC_PREFIX": prefix,
        "VOCALS_SPOOL_PATH": str(tmp_path / f"spool-{port}.sqlite3"),
        "VOCALS_PORT": str(port),
        **{f"VOCALS_{key.upper()}": value for key, value in overrides.items()},
    }
    settings = load(ReceiverSettings, environ)
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning"))
    serving = asyncio.create_task(server.serve())
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=20) as client:
        await _until(lambda: asyncio.sleep(0, server.started), "the receiver did not start listening")
        await _until(lambda: _kafka_connected(client), "the receiver did not connect to Kafka")
        try:
            yield client, settings
        finally:
            server.should_exit = True
            await serving


async def _kafka_connected(client: httpx.AsyncClient) -> bool:
    connected: bool = (await client.get("/readyz")).json()["kafka"] == "connected"
    return connected


async def _until(condition: Callable[[], Awaitable[bool]], failure: str, within: float = 15.0) -> None:
    """Poll `condition` every 25 ms; fail the test with `failure` if it is not true `within` seconds."""
    for _ in range(int(within / 0.025)):
        if await condition():
            return
        await asyncio.sleep(0.025)  # poll interval of a bounded wait
    raise AssertionError(f"{failure} within {within} s")


async def post_callback(client: httpx.AsyncClient, body: bytes) -> httpx.Response:
    return await client.post(
        f"/callbacks/vocals?token={TOKEN}", content=body, headers={"content-type": "application/json"}
    )
