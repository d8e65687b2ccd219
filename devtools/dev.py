"""`make dev`: a local broker and every service, in the foreground, logs prefixed by name; Ctrl-C stops all.

The callback token comes from VOCALS_CALLBACK_TOKENS, or is generated once and kept in .cache/dev-token.
"""

import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from schemas.topics import TOPIC_PARTITIONS

REPO = Path(__file__).resolve().parents[1]
SERVICES = ("receiver", "archiver", "notifier")
COLOURS = ("\033[36m", "\033[35m", "\033[33m", "\033[32m")
RESET = "\033[0m"


def dev_token(environ: dict[str, str]) -> str:
    """The first configured callback token, else one generated and kept for the next run."""
    configured = environ.get("VOCALS_CALLBACK_TOKENS", "").split(",")[0].strip()
    if configured:
        return configured
    path = REPO / ".cache" / "dev-token"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(24))
    return path.read_text().strip()


def present_services() -> list[str]:
    """The services that exist in this checkout (a service exists once it has a __main__)."""
    return [name for name in SERVICES if (REPO / "services" / name / "__main__.py").exists()]


def start(
    name: str, command: list[str], environ: dict[str, str], colour: str, ready: threading.Event | None = None
) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        command, cwd=REPO, env=environ, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
    )
    prefix = f"{colour}{name:>9} |{RESET} " if sys.stdout.isatty() else f"{name:>9} | "
    threading.Thread(target=_relay, args=(process, prefix, ready), daemon=True).start()
    return process


def _relay(process: subprocess.Popen[bytes], prefix: str, ready: threading.Event | None) -> None:
    assert process.stdout is not None
    for line in iter(process.stdout.readline, b""):
        text = line.decode(errors="replace")
        sys.stdout.write(prefix + text)
        sys.stdout.flush()
        if ready is not None and text.startswith("kafka ready on"):
            ready.set()


def wait_until_ready(process: subprocess.Popen[bytes], ready: threading.Event, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not ready.wait(0.2):
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"kafka did not start (see its lines above); exit code {process.poll()}")


def stop_all(processes: list[tuple[str, subprocess.Popen[bytes]]]) -> None:
    """SIGTERM each process group, services before the broker; SIGKILL what is still there after 20 s."""
    _ignore_further_interrupts()  # a second Ctrl-C must not abandon the JVM mid-shutdown
    for _, process in reversed(processes):
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for name, process in reversed(processes):
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            print(f"{name} did not stop in 20 s; killing it", file=sys.stderr)
            os.killpg(process.pid, signal.SIGKILL)


def _ignore_further_interrupts() -> None:
    while True:
        try:
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            return
        except KeyboardInterrupt:  # one arrived before the handlers were swapped: swap them now
            continue


def main() -> int:
    environ = dict(os.environ)
    token = dev_token(environ)
    environ.setdefault("VOCALS_CALLBACK_TOKENS", token)
    environ.setdefault("PYTHONUNBUFFERED", "1")
    environ.setdefault("VOCALS_ALLOWED_HOSTS", "127.0.0.1")  # the demo's provider stand-in serves files here
    bootstrap = environ.setdefault("VOCALS_KAFKA_BOOTSTRAP", "127.0.0.1:9092")
    port = bootstrap.rsplit(":", 1)[1]
    ready = threading.Event()
    topics = ",".join(f"{environ.get('VOCALS_KAFKA_TOPIC_PREFIX', '')}{t}:{n}" for t, n in TOPIC_PARTITIONS.items())
    kafka_cmd = [sys.executable, "-m", "devtools.kafka", "run", "--port", port, "--topics", topics]
    processes = [("kafka", start("kafka", kafka_cmd, environ, COLOURS[0], ready))]
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        wait_until_ready(processes[0][1], ready, timeout=180)
        for index, name in enumerate(present_services(), start=1):
            command = [sys.executable, "-m", f"services.{name}"]
            processes.append((name, start(name, command, environ, COLOURS[index % len(COLOURS)])))
        public = environ.get("VOCALS_RECEIVER_PUBLIC_URL") or environ.get("VOCALS_PUBLIC_URL", "http://127.0.0.1:8080")
        print(f"\ncallback URL: {public}/callbacks/vocals?token={token}\nCtrl-C stops everything.\n", flush=True)
        while all(process.poll() is None for _, process in processes):
            time.sleep(0.5)
        failed = [name for name, process in processes if process.poll() is not None]
        print(f"{', '.join(failed)} stopped; stopping the rest", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        stop_all(processes)


if __name__ == "__main__":
    raise SystemExit(main())
