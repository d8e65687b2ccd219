"""What a single-node KRaft broker on loopback needs: free ports, a cluster id, its server.properties."""

from __future__ import annotations

import base64
import socket
import uuid
from contextlib import ExitStack
from pathlib import Path

HOST = "127.0.0.1"
NODE_ID = 1


def free_ports(count: int) -> list[int]:
    """Ports the OS just handed out on loopback; all sockets stay open until every port is picked."""
    with ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in sockets:
            sock.bind((HOST, 0))
        return [sock.getsockname()[1] for sock in sockets]


def taken_ports(ports: list[int]) -> list[int]:
    """Those of `ports` something listens on (SO_REUSEADDR, as Kafka binds, so TIME_WAIT does not count)."""
    taken = []
    for port in ports:
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((HOST, port))
            except OSError:
                taken.append(port)
    return taken


def new_cluster_id() -> str:
    """A cluster id in Kafka's own format (URL-safe base64 of a random UUID, never starting with '-')."""
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
        if not cluster_id.startswith("-"):
            return cluster_id


def server_properties(*, port: int, controller_port: int, log_dir: Path) -> str:
    """Combined broker+controller with a static one-voter quorum, so the ports may change between runs."""
    settings = {
        "process.roles": "broker,controller",
        "node.id": NODE_ID,
        "controller.quorum.voters": f"{NODE_ID}@{HOST}:{controller_port}",
        "listeners": f"PLAINTEXT://{HOST}:{port},CONTROLLER://{HOST}:{controller_port}",
        "advertised.listeners": f"PLAINTEXT://{HOST}:{port}",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        "log.dirs": log_dir,
        "num.partitions": 3,
        "default.replication.factor": 1,
        "auto.create.topics.enable": "false",
        "offsets.topic.replication.factor": 1,
        "transaction.state.log.replication.factor": 1,
        "transaction.state.log.min.isr": 1,
        "share.coordinator.state.topic.replication.factor": 1,
        "share.coordinator.state.topic.min.isr": 1,
        "group.initial.rebalance.delay.ms": 0,
        # After a SIGKILL the restarted controller holds the old registration until its session expires
        # (default 9 s) before letting the broker back in; a shorter session makes crash tests quicker.
        "broker.heartbeat.interval.ms": 1000,
        "broker.session.timeout.ms": 4000,
    }
    return "".join(f"{key}={value}\n" for key, value in settings.items())
