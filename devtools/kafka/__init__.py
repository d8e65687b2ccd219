"""A real local Kafka broker without Docker: jars from Maven Central, one KRaft JVM on loopback.

Used by `make dev` (`python -m devtools.kafka run`) and by the pytest harness (tests/fixtures/kafka.py).
"""

from devtools.kafka.broker import LocalBroker
from devtools.kafka.jars import ensure_jars
from devtools.kafka.jvm import BrokerStartError
from devtools.kafka.topics import create_topics

__all__ = ["BrokerStartError", "LocalBroker", "create_topics", "ensure_jars"]
