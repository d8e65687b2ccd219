"""The services as `make dev` runs them (`python -m services.<name>` subprocesses) and a real Prometheus over them."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx

from tests.deploy.promql import PROMETHEUS_DIR

REPO = Path(__file__).resolve().parents[2]
T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def eventually(probe: Callable[[], T | None], *, timeout: float, what: str, every: float = 0.2) -> T:
    """Poll `probe` until it returns something truthy; fail naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout} s")
        time.sleep(every)  # poll interval of a bounded wait


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""

    def stop(self) -> None:
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGTERM)
        try:
            self.popen.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(timeout=10)


@dataclass
class Stack:
    """Running services ({name: port}) and the Prometheus scraping them."""

    workdir: Path
    ports: dict[str, int] = field(default_factory=dict)
    processes: list[Process] = field(default_factory=list)
    prometheus_url: str = ""

    def start(self, name: str, command: list[str], environ: dict[str, str]) -> Process:
        log = self.workdir / f"{name}.log"
        with log.open("wb") as out:
            popen = subprocess.Popen(
                command, cwd=REPO, env=environ, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        process = Process(name, popen, log)
        self.processes.append(process)
        return process

    def start_service(self, name: str, port: int, settings: dict[str, str]) -> None:
        environ = {**os.environ, "PYTHONUNBUFFERED": "1", "VOCALS_LOG_FORMAT": "json", **settings}
        process = self.start(name, [sys.executable, "-m", f"services.{name}"], environ)
        self.ports[name] = port
        eventually(lambda: self._ready(process, port), timeout=90, what=f"{name} answering /readyz with 200")

    def _ready(self, process: Process, port: int) -> bool:
        if process.popen.poll() is not None:
            raise AssertionError(f"{process.name} exited with {process.popen.returncode}:\n{process.tail()}")
        try:
            return httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def start_prometheus(self) -> None:
        binary = shutil.which("prometheus") or "/usr/bin/prometheus"
        port = free_port()
        config = self.workdir / "prometheus.yml"
        config.write_text(prometheus_config(self.ports))
        command = [
            binary,
            f"--config.file={config}",
            f"--storage.tsdb.path={self.workdir / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ]
        process = self.start("prometheus", command, dict(os.environ))
        self.prometheus_url = f"http://127.0.0.1:{port}"
        eventually(lambda: self._prometheus_ready(process), timeout=30, what="Prometheus ready")

    def _prometheus_ready(self, process: Process) -> bool:
        if process.popen.poll() is not None:
            raise AssertionError(f"prometheus exited with {process.popen.returncode}:\n{process.tail()}")
        try:
            return httpx.get(f"{self.prometheus_url}/-/ready", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def api(self, path: str, **params: str) -> Any:
        response = httpx.get(f"{self.prometheus_url}/api/v1/{path}", params=params, timeout=10)
        body = response.json()
        assert body["status"] == "success", f"{path} {params}: {body}"
        return body["data"]

    def stop(self) -> None:
        for process in reversed(self.processes):
            with contextlib.suppress(ProcessLookupError):
                process.stop()


def prometheus_config(ports: dict[str, int]) -> str:
    """deploy/prometheus's jobs and alert rules, scraping every second the services on their test ports."""
    jobs = "".join(
        f"  - job_name: vocals-{name}\n"
        f"    static_configs:\n"
        f"      - targets: ['127.0.0.1:{port}']\n"
        f"        labels: {{service: {name}}}\n"
        for name, port in ports.items()
    )
    return (
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
        f"rule_files:\n  - {PROMETHEUS_DIR / 'alerts.yml'}\n"
        f"scrape_configs:\n{jobs}"
    )
