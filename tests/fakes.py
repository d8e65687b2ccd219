"""Hand-written fakes of the ports, for tests that must not need a broker."""

import asyncio

from services.receiver.outgoing import OutgoingMessage
from services.receiver.publisher import PublishError


class FakePublisher:
    """Keeps what it 'published'; `down` makes it fail like an unreachable broker."""

    def __init__(self) -> None:
        self.published: list[OutgoingMessage] = []
        self.down = False
        self.connected = True
        self.gate: asyncio.Event | None = None
        self.calls = 0

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def send(self, message: OutgoingMessage) -> asyncio.Future[None]:
        self.calls += 1
        if self.down:
            raise PublishError("broker down (fake)")
        return asyncio.ensure_future(self._acknowledge(message))

    async def _acknowledge(self, message: OutgoingMessage) -> None:
        if self.gate is not None:
            await self.gate.wait()
        self.published.append(message)

    def topics(self) -> list[str]:
        return [message.topic for message in self.published]
