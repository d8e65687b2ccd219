# vocals pipeline: `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help
UV ?= $(shell command -v uv 2>/dev/null || echo "python3 -m uv")
RUN := $(UV) run --frozen
PYTEST_ARGS ?=

.PHONY: help install kafka-jars dev kafka test lint format typecheck contracts schemas check-schemas test-unit test-integration bench clean

help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

install: ## create .venv with the locked dependencies (installs uv first if missing)
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
	$(UV) sync --frozen

kafka-jars: install ## fetch the pinned Apache Kafka broker jars from Maven Central into .cache/kafka
	$(RUN) python -m devtools.kafka jars

dev: install kafka-jars ## run a local broker and every service in the foreground (Ctrl-C stops all)
	$(RUN) python -m devtools.dev

kafka: install kafka-jars ## run only the local broker on 127.0.0.1:9092, creating the vocals topics
	$(RUN) python -m devtools.kafka run --topics "$$($(RUN) python -c 'from schemas.topics import TOPIC_PARTITIONS as t; print(",".join(f"{k}:{v}" for k, v in t.items()))')"

test: install kafka-jars lint typecheck contracts check-schemas ## everything CI runs: gates, then unit and integration tests
	$(RUN) pytest tests $(PYTEST_ARGS)

test-unit: install ## only the unit tests (no broker, no I/O)
	$(RUN) pytest tests/unit $(PYTEST_ARGS)

test-integration: install kafka-jars ## only the integration tests (starts its own broker and servers)
	$(RUN) pytest tests/integration $(PYTEST_ARGS)

lint: install ## ruff lint and format check
	$(RUN) ruff check .
	$(RUN) ruff format --check .

format: install ## apply ruff's fixes and formatting
	$(RUN) ruff check --fix .
	$(RUN) ruff format .

typecheck: install ## mypy, strict on our packages
	$(RUN) mypy

contracts: install ## import-linter: services never import each other, schemas import no service
	$(RUN) lint-imports

schemas: install ## regenerate the checked-in JSON Schemas from the event Structs
	$(RUN) python -m schemas.generate

check-schemas: install ## fail if the checked-in JSON Schemas are stale
	$(RUN) python -m schemas.generate --check

bench: install kafka-jars ## benchmarks that print figures (receiver throughput and latency, archiver)
	$(RUN) python -m benchmarks

clean: ## remove the venv, caches and local data (keeps nothing)
	rm -rf .venv .cache data .mypy_cache .ruff_cache .pytest_cache .hypothesis
