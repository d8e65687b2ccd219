"""Receiver benchmark: (a) the bare validation endpoint vs (b) the full receiver publishing to a real broker.

`python -m benchmarks.receiver_bench [--seconds 10]`. Side by side in one run on this machine:
callbacks/s at saturation (wrk, closed loop, unique callbacks), p50/p99 latency at 50 % of that rate (vegeta,
open loop), CPU microseconds per callback of the server process, and the ratio b/a.
"""

import argparse
import asyncio
import base64
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from aiokafka import AIOKafkaConsumer, TopicPartition

from devtools.kafka import LocalBroker, create_topics
from devtools.kafka.config import free_ports
from schemas.topics import CALLBACKS, TOPIC_PARTITIONS

REPO = Path(__file__).resolve().parents[1]
TOKEN = "bench-token"
PATH = f"/callbacks/vocals?token={TOKEN}"
TICK = os.sysconf("SC_CLK_TCK")


@dataclass
class Figures:
    name: str
    saturation_rps: float
    errors: int
    cpu_us_per_callback: float
    rate: int = 0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    open_loop_success: float = 0.0


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def wait_ready(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        probe = subprocess.run(
            ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", url], capture_output=True, text=True
        )
        if probe.stdout not in ("", "000"):
            return
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


def run_wrk(base: str, seconds: int, prefix: str) -> tuple[float, int, int]:
    env = {**os.environ, "BENCH_PATH": PATH, "BENCH_PREFIX": prefix}
    script = str(REPO / "benchmarks" / "unique_callbacks.lua")
    command = ["wrk", "-t1", "-c64", f"-d{seconds}s", "-s", script, base]
    out = subprocess.run(command, capture_output=True, text=True, env=env, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = int(non2xx.group(1)) if non2xx else 0
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if socket_errors:
        errors += sum(int(n) for n in socket_errors.groups())
    return rps, errors, total


def vegeta_targets(base: str, count: int, prefix: str, folder: Path) -> Path:
    sample = json.loads((REPO / "tests" / "payloads" / "complete.json").read_bytes())
    path = folder / f"targets-{prefix}.jsonl"
    with path.open("w") as out:
        for n in range(count):
            sample["data"]["task_id"] = f"{prefix}{n}"
            body = base64.b64encode(json.dumps(sample).encode()).decode()
            target = {
                "method": "POST",
                "url": base + PATH,
                "body": body,
                "header": {"Content-Type": ["application/json"]},
            }
            out.write(json.dumps(target) + "\n")
    return path


def run_vegeta(targets: Path, rate: int, seconds: int) -> tuple[float, float, float]:
    vegeta = shutil.which("vegeta") or str(Path.home() / "go" / "bin" / "vegeta")
    attack = subprocess.run(
        [
            vegeta,
            "attack",
            "-format=json",
            f"-targets={targets}",
            f"-rate={rate}/s",
            f"-duration={seconds}s",
            "-max-workers=256",
        ],
        capture_output=True,
        check=True,
    )
    report = subprocess.run([vegeta, "report", "-type=json"], input=attack.stdout, capture_output=True, check=True)
    figures = json.loads(report.stdout)
    latencies = figures["latencies"]
    return latencies["50th"] / 1e6, latencies["99th"] / 1e6, figures["success"]


def measure(name: str, command: list[str], env: dict[str, str], port: int, seconds: int, work: Path) -> Figures:
    server = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base + "/healthz" if name.startswith("b") else base + "/callbacks/vocals", timeout=60)
        run_wrk(base, 2, f"warm{uuid.uuid4().hex[:6]}")
        before = cpu_seconds(server.pid)
        rps, errors, total = run_wrk(base, seconds, f"sat{uuid.uuid4().hex[:6]}")
        cpu = cpu_seconds(server.pid) - before
        figures = Figures(name, rps, errors, cpu / max(total, 1) * 1e6)
        figures.rate = max(1, int(rps / 2))
        targets = vegeta_targets(base, figures.rate * seconds + 100, f"ol{uuid.uuid4().hex[:6]}", work)
        figures.p50_ms, figures.p99_ms, figures.open_loop_success = run_vegeta(targets, figures.rate, seconds)
        return figures
    finally:
        server.terminate()
        server.wait(30)


async def topic_size(bootstrap: str, topic: str) -> int:
    """How many records the topic holds: the sum of its partitions' end offsets."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in range(TOPIC_PARTITIONS[topic])]
        return sum((await consumer.end_offsets(partitions)).values())
    finally:
        await consumer.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        broker = LocalBroker(work / "kafka", heap="1g")
        with broker:
            asyncio.run(create_topics(broker.bootstrap, TOPIC_PARTITIONS))
            port_a, port_b = free_ports(2)
            env = {**os.environ, "PYTHONPATH": str(REPO)}
            bare = measure(
                "a bare validation",
                [sys.executable, "-m", "benchmarks.bare_app", str(port_a), TOKEN],
                env,
                port_a,
                args.seconds,
                work,
            )
            env_b = {
                **env,
                "VOCALS_CALLBACK_TOKENS": TOKEN,
                "VOCALS_KAFKA_BOOTSTRAP": broker.bootstrap,
                "VOCALS_PORT": str(port_b),
                "VOCALS_SPOOL_PATH": str(work / "spool.sqlite3"),
                "VOCALS_LOG_LEVEL": "WARNING",
            }
            full = measure(
                "b full receiver", [sys.executable, "-m", "services.receiver"], env_b, port_b, args.seconds, work
            )
            on_topic = asyncio.run(topic_size(broker.bootstrap, CALLBACKS))
    print(f"\nreceiver benchmark ({args.seconds} s per phase, 1 server process, wrk -t1 -c64, vegeta open loop)")
    print(
        f"{'':22}{'callbacks/s':>12}{'errors':>8}{'CPU us/cb':>11}{'rate@50%':>10}{'p50 ms':>8}{'p99 ms':>8}{'ok':>7}"
    )
    for f in (bare, full):
        print(
            f"{f.name:22}{f.saturation_rps:12.0f}{f.errors:8d}{f.cpu_us_per_callback:11.0f}{f.rate:10d}"
            f"{f.p50_ms:8.2f}{f.p99_ms:8.2f}{f.open_loop_success:7.1%}"
        )
    print(f"ratio b/a (saturation): {full.saturation_rps / bare.saturation_rps:.2f}")
    print(f"events on {CALLBACKS}: {on_topic} (every 200 of (b) is one event)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
