"""Kafka's two Java entry points as processes: the one-off storage formatter and the broker itself."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path


class BrokerStartError(RuntimeError):
    """The broker JVM could not be formatted, launched or reached; the message says why."""


@dataclass(frozen=True)
class Jvm:
    libs: Path
    log4j_config: Path
    logs_dir: Path
    heap: str

    def command(self, *main: str) -> list[str]:
        """The JVM flags of Kafka's kafka-server-start.sh (G1, fixed heap, headless) and our log4j2 config."""
        return [
            java_executable(),
            f"-Xms{self.heap}",
            f"-Xmx{self.heap}",
            "-server",
            "-XX:+UseG1GC",
            "-XX:MaxGCPauseMillis=20",
            "-XX:InitiatingHeapOccupancyPercent=35",
            "-XX:+ExplicitGCInvokesConcurrent",
            "-Djava.awt.headless=true",
            f"-Dkafka.logs.dir={self.logs_dir}",
            f"-Dlog4j2.configurationFile={self.log4j_config}",
            "-cp",
            f"{self.libs}/*",
            *main,
        ]

    def format_storage(self, properties: Path, cluster_id: str) -> None:
        """Write meta.properties and the bootstrap metadata into the log dir named in `properties`."""
        command = self.command("kafka.tools.StorageTool", "format", "-t", cluster_id, "-c", str(properties))
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise BrokerStartError(
                f"formatting Kafka storage for {properties} failed (exit {result.returncode}):\n"
                f"{result.stdout}{result.stderr}"
            )

    def launch_server(self, properties: Path, output: Path) -> subprocess.Popen[bytes]:
        """Start `kafka.Kafka` in its own session, so Ctrl-C reaches only us and we decide how it stops."""
        with output.open("ab") as out:
            return subprocess.Popen(
                self.command("kafka.Kafka", str(properties)),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )


def java_executable() -> str:
    """$JAVA_HOME/bin/java if JAVA_HOME is set, else the java on PATH (Kafka 4.x needs Java 17+)."""
    java_home = os.environ.get("JAVA_HOME")
    java = str(Path(java_home) / "bin" / "java") if java_home else shutil.which("java")
    if java is None or not Path(java).is_file():
        raise BrokerStartError("no java found: install Java 17+ (apt-get install -y openjdk-17-jre-headless)")
    return java


def signal_group(process: subprocess.Popen[bytes], signum: int) -> None:
    """Signal the JVM's whole process group (pid == pgid, as it leads its own session)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signum)
