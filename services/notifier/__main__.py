"""`python -m services.notifier`: read VOCALS_* settings, configure logging, consume and notify."""

import stamina.instrumentation

from services.notifier.app import run
from services.notifier.settings import NotifierSettings
from services.plumbing.entrypoint import run_service


def main() -> int:
    stamina.instrumentation.set_on_retry_hooks([])  # the notifier counts and logs its own retries
    # slack_sdk's debug lines carry the webhook URL and the bot token
    return run_service(
        "notifier", NotifierSettings, lambda settings, stop: run(settings, stop=stop), quiet_loggers=["slack_sdk"]
    )


if __name__ == "__main__":
    raise SystemExit(main())
