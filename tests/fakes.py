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

    async def publish(self, message: OutgoingMessage) -> None:
        self.calls += 1
        if self.gate is not None:
            await self.gate.wait()
        if self.down:
            raise PublishError("broker down (fake)")
        self.published.append(message)

    def topics(self) -> list[str]:
        return [message.topic for message in self.published]
