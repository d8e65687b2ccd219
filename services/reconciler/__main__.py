"""`python -m services.reconciler`: read VOCALS_* settings, configure logging, consume, poll, serve ops."""

from services.plumbing.entrypoint import run_service
from services.reconciler.app import run
from services.reconciler.settings import ReconcilerSettings


def main() -> int:
    # httpx would log one line per poll; the reconciler logs its own, with the outcome
    return run_service(
        "reconciler", ReconcilerSettings, lambda settings, stop: run(settings, stop=stop), quiet_loggers=["httpx"]
    )


if __name__ == "__main__":
    raise SystemExit(main())
