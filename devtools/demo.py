"""`make demo`: on top of a running `make dev`, start the provider stand-in (and a reconciler if none runs),
submit a handful of tasks covering the provider's good and bad days, and say where to look.

Run `make dev` in another terminal first (it lets the archiver download from the stand-in on loopback, with
`VOCALS_ALLOWED_HOSTS=127.0.0.1`). Ctrl-C stops what the demo started.
"""

import os
import signal
import subprocess
import sys
import time

import httpx

from devtools.dev import COLOURS, dev_token, start, stop_all

STANDIN = "http://127.0.0.1:8090"
API_KEY = "demo-standin-key"
SCENARIOS: dict[str, str] = {
    "a good day": "",
    "every callback three times": "duplicate=2",
    "callbacks newest first": "reorder",
    "straight to complete, createTime as text": "skip=text+first time=string",
    "out of credits (error, data null)": "fail=429 fail-type=error fail-data=null",
    "sensitive words, failure never called back": "fail=sensitive skip=failed",
    "receiver unreachable past every retry": "outage=120",
    "links that expire a minute after they are ready": "expire=60",
    "slow links (3 s before each file)": "slow=3",
    "signed callbacks (HMAC)": "sign",
}
STANDIN_ENV = {
    "VOCALS_STANDIN_API_KEYS": API_KEY,
    "VOCALS_STANDIN_TEXT_DELAY_SECONDS": "2",
    "VOCALS_STANDIN_FIRST_DELAY_SECONDS": "5",
    "VOCALS_STANDIN_COMPLETE_DELAY_SECONDS": "4",
    "VOCALS_STANDIN_CALLBACK_RETRY_DELAY_SECONDS": "2",
    "VOCALS_STANDIN_TRACK_MIN_SECONDS": "20",
    "VOCALS_STANDIN_TRACK_MAX_SECONDS": "45",
}
RECONCILER_ENV = {
    "VOCALS_PROVIDER_BASE_URL": STANDIN,
    "VOCALS_PROVIDER_API_KEY": API_KEY,
    "VOCALS_POLL_AFTER_SECONDS": "20",
    "VOCALS_POLL_INTERVAL_SECONDS": "5",
}
FINAL = {"SUCCESS", "CREATE_TASK_FAILED", "GENERATE_AUDIO_FAILED", "CALLBACK_EXCEPTION", "SENSITIVE_WORD_ERROR"}


def main() -> int:
    environ = dict(os.environ) | {"PYTHONUNBUFFERED": "1"}
    receiver = environ.get("VOCALS_RECEIVER_URL", "http://127.0.0.1:8080")
    deadline = time.monotonic() + 30  # `make dev` may still be starting its services
    while not _answers(f"{receiver}/readyz"):
        if time.monotonic() > deadline:
            print(f"no receiver answers at {receiver}: run `make dev` first", file=sys.stderr)
            return 2
        time.sleep(0.5)
    signing_key = environ.get("VOCALS_SIGNING_KEYS", "").split(",")[0].strip()
    environ |= STANDIN_ENV | {"VOCALS_STANDIN_SIGNING_KEY": signing_key or "demo-unused-key"}
    environ |= {"VOCALS_CALLBACK_TOKENS": environ.get("VOCALS_CALLBACK_TOKENS") or dev_token(environ)}
    environ |= {k: v for k, v in RECONCILER_ENV.items() if k not in os.environ or "PROVIDER" in k}
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # stop what the demo started, as on Ctrl-C
    processes = [
        ("standin", start("standin", [sys.executable, "-m", "services.provider_standin"], environ, COLOURS[1]))
    ]
    if not _answers("http://127.0.0.1:8083/healthz"):
        command = [sys.executable, "-m", "services.reconciler"]
        processes.append(("reconciler", start("reconciler", command, environ, COLOURS[2])))
    try:
        _wait_for(f"{STANDIN}/healthz", "the stand-in")
        tasks = {
            name: _submit(scenario, environ, receiver, signed=bool(signing_key)) for name, scenario in SCENARIOS.items()
        }
        _report(tasks)
        _where_to_look(environ)
        while all(process.poll() is None for _, process in processes):
            time.sleep(0.5)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        stop_all(processes)


def _submit(scenario: str, environ: dict[str, str], receiver: str, *, signed: bool) -> str | None:
    """`vocals submit` as a user would run it; the task id it prints, or None if it was refused."""
    argv = ["submit", "--upload-url", f"{STANDIN}/samples/instrumental.mp3", "--prompt", "[Verse]\nNeon rain"]
    argv += ["--title", "Neon Rain", "--style", "synthwave, dreamy", "--scenario", scenario]
    if "sign" in scenario.split() and signed:
        argv += ["--callback-url", f"{receiver}/callbacks/vocals"]  # no token: the signature alone must pass
    print(f"$ vocals {' '.join(_quoted(a) for a in argv)}", flush=True)
    environ = environ | {"VOCALS_PROVIDER_BASE_URL": STANDIN, "VOCALS_PROVIDER_API_KEY": API_KEY}
    done = subprocess.run(
        [sys.executable, "-m", "services.cli", *argv], env=environ, capture_output=True, text=True, check=False
    )
    print(done.stderr.strip(), flush=True)
    return done.stdout.strip() or None if done.returncode == 0 else None


def _report(tasks: dict[str, str | None]) -> None:
    """Wait (at most 5 minutes) until the stand-in finished every task, then print each one's status."""
    deadline = time.monotonic() + 300
    while True:
        states = {name: _standin_status(task_id) for name, task_id in tasks.items()}
        if all(s in FINAL | {"not submitted"} for s in states.values()) or time.monotonic() > deadline:
            break
        time.sleep(2)
    print("\n" + "\n".join(f"  {name:<48} {tasks[name] or '-':<34} {states[name]}" for name in tasks), flush=True)


def _where_to_look(environ: dict[str, str]) -> None:
    archive = environ.get("VOCALS_ARCHIVE_URL", "file://./data/archive")
    smtp = environ.get("VOCALS_SMTP_HOST")
    poll_after = environ["VOCALS_POLL_AFTER_SECONDS"]
    lines = [
        "",
        f"Where to look (lost callbacks are recovered by polling about {poll_after} s after a task was first seen):",
        f"  archived files     {archive}",
        "  read API           http://127.0.0.1:8081/tasks   (one task: /tasks/<task id>)",
        f"  notices            {'Mailpit at http://127.0.0.1:8025' if smtp else 'the notifier log lines in make dev'}",
        f"  provider stand-in  {STANDIN}/standin/tasks   (every callback attempt: /standin/tasks/<task id>)",
        "  metrics            /metrics on receiver :8080, archiver :8081, notifier :8082, reconciler :8083,",
        "                     stand-in :8090; Grafana at http://127.0.0.1:3000 when the compose profile runs",
        f"  one task           VOCALS_PROVIDER_BASE_URL={STANDIN} VOCALS_PROVIDER_API_KEY={API_KEY} \\",
        "                     uv run vocals status <task id>",
        "Ctrl-C stops the stand-in (and the reconciler, if the demo started it).",
    ]
    print("\n".join(lines), flush=True)


def _standin_status(task_id: str | None) -> str:
    if task_id is None:
        return "not submitted"
    try:
        return str(httpx.get(f"{STANDIN}/standin/tasks/{task_id}", timeout=5).json().get("status", "unknown"))
    except httpx.HTTPError as exc:
        return f"unknown ({type(exc).__name__})"


def _answers(url: str) -> bool:
    try:
        httpx.get(url, timeout=2)
    except httpx.HTTPError:
        return False
    return True


def _wait_for(url: str, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not _answers(url):
        if time.monotonic() > deadline:
            raise SystemExit(f"{what} did not answer at {url} within {timeout:g} s (see its lines above)")
        time.sleep(0.2)


def _quoted(argument: str) -> str:
    return repr(argument) if not argument or any(c in argument for c in " \n,[]") else argument


if __name__ == "__main__":
    raise SystemExit(main())
