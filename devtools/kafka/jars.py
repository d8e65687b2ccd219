"""Fetch the broker's jars from Maven Central once, keyed by a hash of tools/kafka/pom.xml."""

from __future__ import annotations

import fcntl
import hashlib
import shutil
import subprocess
from pathlib import Path

POM = Path("tools/kafka/pom.xml")
LIBS = Path(".cache/kafka/libs")
STAMP = ".pom-sha256"


def ensure_jars(repo_root: Path) -> Path:
    """Return the folder of broker jars, running Maven only if it is missing or stale.

    The stamp file holds the hash of the pom that produced the folder and is written last, so an
    interrupted download is refetched. A file lock keeps parallel callers (pytest-xdist) from racing.
    """
    pom = repo_root / POM
    libs = repo_root / LIBS
    digest = hashlib.sha256(pom.read_bytes()).hexdigest()
    if _is_current(libs, digest):
        return libs
    libs.parent.mkdir(parents=True, exist_ok=True)
    with (libs.parent / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not _is_current(libs, digest):
            _download(pom, libs)
            (libs / STAMP).write_text(digest + "\n")
    return libs


def _is_current(libs: Path, digest: str) -> bool:
    stamp = libs / STAMP
    return stamp.is_file() and stamp.read_text().strip() == digest and any(libs.glob("kafka_*.jar"))


def _download(pom: Path, libs: Path) -> None:
    """Copy the runtime jars into a fresh folder so no jar of an older version stays on the classpath."""
    mvn = shutil.which("mvn")
    if mvn is None:
        raise RuntimeError("mvn not found on PATH: install Maven (apt-get install -y maven) to fetch Kafka")
    staging = libs.with_name(libs.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    command = [
        mvn, "-q", "-B", "-f", str(pom), "dependency:copy-dependencies",
        "-DincludeScope=runtime", f"-DoutputDirectory={staging}",
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(
            f"fetching Kafka jars failed (mvn exit {result.returncode}); is Maven Central reachable?\n"
            f"$ {' '.join(command)}\n{result.stdout}{result.stderr}"
        )
    shutil.rmtree(libs, ignore_errors=True)
    staging.rename(libs)
