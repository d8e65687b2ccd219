"""`python -m services.receiver` as an operator runs it: start-up errors, and the JSON log lines it writes."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from devtools.kafka.config import free_ports

ROOT = Path(__file__).resolve().parents[3]
PAYLOADS = ROOT / "tests" / "payloads"
SECRET = "tok-process-8d2f"


def test_missing_token_stops_start_up_with_one_line() -> None:
    """Without VOCALS_CALLBACK_TOKENS the receiver exits 2 and says, in one line, which variable to set."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("VOCALS_")}
    result = subprocess.run(
        [sys.executable, "-m", "services.receiver"], cwd=ROOT, env=environ, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "receiver: VOCALS_CALLBACK_TOKENS is required but not set (or set VOCALS_SIGNING_KEYS): "
        "the receiver refuses to accept unauthenticated callbacks"
    ]


def test_one_json_line_per_callback_and_no_secret_in_logs(tmp_path: Path) -> None:
    """Each callback yields one JSON log line with task id, stage, code, outcome and duration; every line,
    aiokafka's included, is JSON; the token never appears, not even in the start-up line listing the settings."""
    port, dead_kafka = free_ports(2)
    environ = {
        **os.environ,
        "VOCALS_CALLBACK_TOKENS": SECRET,
        "VOCALS_PORT": str(port),
        "VOCALS_KAFKA_BOOTSTRAP": f"127.0.0.1:{dead_kafka}",
        "VOCALS_SPOOL_PATH": str(tmp_path / "spool.sqlite3"),
        "VOCALS_LOG_FORMAT": "json",
    }
    log_path = tmp_path / "receiver.log"
    with log_path.open("w") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "services.receiver"], cwd=ROOT, env=environ, stderr=log_file, stdout=log_file
        )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{base}/healthz", timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, log_path.read_text()
                time.sleep(0.1)
        body = (PAYLOADS / "complete.json").read_bytes()
        headers = {"content-type": "application/json"}
        ok = httpx.post(f"{base}/callbacks/vocals?token={SECRET}", content=body, headers=headers, timeout=20)
        refused = httpx.post(f"{base}/callbacks/vocals?token=wrong", content=body, headers=headers, timeout=20)
        assert (ok.status_code, refused.status_code) == (200, 401)
    finally:
        process.terminate()
        process.wait(30)
    text = log_path.read_text()
    assert SECRET not in text
    lines = [json.loads(line) for line in text.splitlines() if line.strip()]  # every line is JSON
    assert any(line.get("logger", "").startswith("aiokafka") for line in lines)  # stdlib logs too
    callbacks = [line for line in lines if line.get("event") == "callback"]
    assert len(callbacks) == 2
    accepted, rejected = callbacks
    assert accepted["task_id"] == "3f1c9a7e52b04d6e8a9b0c1d2e3f4a5b"
    assert (accepted["stage"], accepted["code"], accepted["status"], accepted["delivery"]) == (
        "complete",
        200,
        200,
        "spooled",
    )
    assert accepted["duration_ms"] >= 0
    assert (rejected["status"], rejected["outcome"]) == (401, "bad_token")
    assert "task_id" not in rejected
    [starting] = [line for line in lines if line.get("event") == "starting"]
    assert starting["callback_tokens"] == "<set>"
