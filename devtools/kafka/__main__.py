"""`python -m devtools.kafka run|jars`: a foreground broker for `make dev`, or just fetch its jars."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from pathlib import Path

from devtools.kafka.broker import REPO_ROOT, LocalBroker
from devtools.kafka.jars import ensure_jars
from devtools.kafka.jvm import BrokerStartError
from devtools.kafka.topics import create_topics


def parse_topics(spec: str) -> dict[str, int]:
    """'a:3,b:1' -> {'a': 3, 'b': 1}; a name without ':N' gets the broker default of 3 partitions."""
    topics = {}
    for item in filter(None, (part.strip() for part in spec.split(","))):
        name, _, partitions = item.partition(":")
        topics[name] = int(partitions or 3)
    return topics


def run(args: argparse.Namespace) -> int:
    """Start the broker, create the topics, report readiness, then hold until a signal or a JVM exit."""
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # SIGTERM unwinds like Ctrl-C
    broker = LocalBroker(args.data, args.port, args.controller_port, args.heap)
    try:
        with broker:
            if args.topics:
                asyncio.run(create_topics(broker.bootstrap, args.topics))
            print(f"kafka ready on {broker.bootstrap}", flush=True)
            code = broker.wait_for_exit()
            print(
                f"kafka exited on its own (code {code}); last lines of {broker.log_path}:\n{broker.log_tail()}",
                file=sys.stderr,
            )
            return 1
    except BrokerStartError as error:
        print(error, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.kafka", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("jars", help="fetch the broker jars into .cache/kafka/libs and exit")
    start = commands.add_parser("run", help="run a broker in the foreground until SIGINT/SIGTERM")
    start.add_argument("--port", type=int, default=9092)
    start.add_argument("--controller-port", type=int, default=9093)
    start.add_argument("--data", type=Path, default=REPO_ROOT / ".cache" / "kafka-dev")
    start.add_argument("--heap", default="512m")
    start.add_argument("--topics", type=parse_topics, default={}, help="name:partitions,...")
    args = parser.parse_args(argv)
    if args.command == "jars":
        print(ensure_jars(REPO_ROOT))
        return 0
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
