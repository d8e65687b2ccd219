"""A real single-node Kafka broker (KRaft, broker+controller) run from Maven jars, for dev and tests."""

from __future__ import annotations

import atexit
import signal
import struct
import subprocess
import time
from collections import deque
from pathlib import Path
from types import TracebackType

from devtools.kafka.config import HOST, NODE_ID, free_ports, new_cluster_id, server_properties, taken_ports
from devtools.kafka.jars import ensure_jars
from devtools.kafka.jvm import BrokerStartError, Jvm, signal_group
from devtools.kafka.probe import live_brokers

REPO_ROOT = Path(__file__).resolve().parents[2]
LOG4J_CONFIG = Path("tools/kafka/log4j2.yaml")


class LocalBroker:
    """One Kafka JVM on loopback. Data persists in `data_dir`, so a restart keeps topics and messages."""

    def __init__(
        self,
        data_dir: Path,
        port: int | None = None,
        controller_port: int | None = None,
        heap: str = "512m",
        *,
        repo_root: Path = REPO_ROOT,
        start_timeout: float = 60.0,
    ) -> None:
        spare = iter(free_ports(2))
        self.port = port if port is not None else next(spare)
        self.controller_port = controller_port if controller_port is not None else next(spare)
        self.data_dir = Path(data_dir).resolve()
        self.heap = heap
        self.start_timeout = start_timeout
        self._repo_root = repo_root
        self._process: subprocess.Popen[bytes] | None = None
        self._log_start = 0
        atexit.register(self.stop)

    @property
    def bootstrap(self) -> str:
        return f"{HOST}:{self.port}"

    @property
    def log_path(self) -> Path:
        """Everything the JVM prints: WARN+ broker logs, startup lines and any JVM-level failure."""
        return self.data_dir / "broker.out"

    def is_running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        """Format storage on first use, launch the JVM and return once the broker serves metadata."""
        if self.is_running():
            return
        jvm = Jvm(ensure_jars(self._repo_root), self._repo_root / LOG4J_CONFIG, self.data_dir / "logs", self.heap)
        log_dir = self.data_dir / "kraft"
        properties = self.data_dir / "server.properties"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        properties.write_text(server_properties(port=self.port, controller_port=self.controller_port, log_dir=log_dir))
        if not (log_dir / "meta.properties").exists():
            jvm.format_storage(properties, new_cluster_id())
        if taken := taken_ports([self.port, self.controller_port]):
            raise BrokerStartError(
                f"port(s) {taken} on {HOST} are in use: is another broker running (pgrep -fa kafka.Kafka)?"
            )
        self._log_start = self.log_path.stat().st_size if self.log_path.exists() else 0
        self._process = jvm.launch_server(properties, self.log_path)
        self._wait_until_ready()

    def stop(self, timeout: float = 20.0) -> None:
        """SIGTERM (a clean, controlled shutdown), then SIGKILL if the JVM is still there after `timeout`."""
        if self._process is None:
            return
        signal_group(self._process, signal.SIGTERM)
        try:
            self._process.wait(timeout)
        except subprocess.TimeoutExpired:
            signal_group(self._process, signal.SIGKILL)
            self._process.wait()
        self._process = None

    def kill(self) -> None:
        """SIGKILL, as in a crash: no controlled shutdown, recovery runs on the next start."""
        if self._process is not None:
            signal_group(self._process, signal.SIGKILL)
            self._process.wait()
            self._process = None

    def restart(self) -> None:
        """Stop, then start on the same ports and data dir: clients see an outage, then the same broker."""
        self.stop()
        self.start()

    def wait_for_exit(self) -> int:
        """Block until the JVM exits on its own and return its exit code."""
        assert self._process is not None, "the broker was not started"
        return self._process.wait()

    def log_tail(self, lines: int = 40) -> str:
        """The last `lines` the current (or last) JVM printed, without output of earlier runs."""
        if not self.log_path.exists():
            return "(the broker was never launched)"
        with self.log_path.open("rb") as log:
            log.seek(self._log_start)
            tail = b"".join(deque(log, maxlen=lines)).decode(errors="replace")
        return tail or "(the JVM printed nothing)"

    def __enter__(self) -> LocalBroker:
        self.start()
        return self

    def __exit__(self, *_: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.stop()

    def _wait_until_ready(self) -> None:
        assert self._process is not None
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            try:
                if (NODE_ID, HOST, self.port) in live_brokers(HOST, self.port):
                    return
            except (OSError, struct.error):
                pass
            try:
                code = self._process.wait(timeout=0.2)
            except subprocess.TimeoutExpired:
                continue
            self._process = None
            raise self._start_error(f"the broker JVM exited with code {code} while starting")
        self.kill()
        raise self._start_error(f"no answer on {self.bootstrap} within {self.start_timeout} s")

    def _start_error(self, what: str) -> BrokerStartError:
        return BrokerStartError(f"{what}. Last lines of {self.log_path}:\n{self.log_tail()}")
