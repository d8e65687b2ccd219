"""Delivering one callback like the provider: POST, wait up to 15 s, retry a failure up to 3 times, then drop.

A task's `outage=` makes every attempt in its window fail as if the receiver were unreachable, without
touching the network. Signed callbacks carry X-Webhook-Timestamp and base64(HMAC-SHA256(key,
task_id + "." + timestamp)) in X-Webhook-Signature, computed afresh for every attempt.
"""

import asyncio
import base64
import hashlib
import hmac
import json
import time

import httpx
import structlog

from services.provider_standin.metrics import StandinMetrics
from services.provider_standin.payloads import callback_body
from services.provider_standin.tasks import Attempt, Task

log = structlog.get_logger("standin.callbacks")


def signature(key: str, task_id: str, timestamp: int) -> str:
    digest = hmac.new(key.encode(), f"{task_id}.{timestamp}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


class CallbackSender:
    def __init__(
        self,
        http: httpx.AsyncClient,
        metrics: StandinMetrics,
        *,
        base_url: str,
        retries: int,
        retry_delay: float,
        signing_key: str,
    ) -> None:
        self._http = http
        self._metrics = metrics
        self._base_url = base_url
        self._retries = retries
        self._retry_delay = retry_delay
        self._signing_key = signing_key

    async def deliver(self, task: Task, stage: str, copy: int, *, signed: bool) -> bool:
        """Send one copy of the stage's callback until it is accepted or the retries are spent."""
        body = json.dumps(callback_body(task, stage, base_url=self._base_url)).encode()
        for attempt in range(1 + self._retries):
            if attempt:
                await asyncio.sleep(self._retry_delay * 2 ** (attempt - 1))
            outcome = await self._attempt(task, body, signed=signed)
            task.attempts.append(Attempt(stage, copy, attempt, outcome, time.time(), signed))
            label = "http_error" if outcome.startswith("http_") else outcome
            self._metrics.attempts.labels(stage, label).inc()
            log.info("callback attempt", task_id=task.task_id, stage=stage, copy=copy, attempt=attempt, outcome=outcome)
            if outcome == "delivered":
                return True
        self._metrics.dropped.labels(stage).inc()
        log.warning("callback dropped", task_id=task.task_id, stage=stage, attempts=1 + self._retries)
        return False

    async def _attempt(self, task: Task, body: bytes, *, signed: bool) -> str:
        if task.outage_active(time.time()):
            return "outage"
        headers = {"Content-Type": "application/json"}
        if signed:
            now = int(time.time())
            headers |= {
                "X-Webhook-Timestamp": str(now),
                "X-Webhook-Signature": signature(self._signing_key, task.task_id, now),
            }
        try:
            response = await self._http.post(task.callback_url, content=body, headers=headers)
        except httpx.TimeoutException:
            return "timeout"
        except httpx.TransportError:
            return "unreachable"
        return "delivered" if response.is_success else f"http_{response.status_code}"
