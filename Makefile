# vocals pipeline: `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help
UV ?= $(shell command -v uv 2>/dev/null || echo "python3 -m uv")
RUN := $(UV) run --frozen
PYTEST_ARGS ?=

.PHONY: help install kafka-jars dev demo kafka test lint format typecheck contracts schemas check-schemas readme check-readme test-unit test-integration test-deploy bench clean up down logs ps prometheus deploy-files check-deploy

help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

install: ## create .venv with the locked dependencies (installs uv first if missing)
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
	$(UV) sync --frozen

kafka-jars: install ## fetch the pinned Apache Kafka broker jars from Maven Central into .cache/kafka
	$(RUN) python -m devtools.kafka jars

dev: install kafka-jars ## run a local broker and every service in the foreground (Ctrl-C stops all)
	$(RUN) python -m devtools.dev

demo: install ## on top of a running `make dev`: the provider stand-in, a reconciler, and tasks on good and bad days
	$(RUN) python -m devtools.demo

kafka: install kafka-jars ## run only the local broker on 127.0.0.1:9092, creating the vocals topics
	$(RUN) python -m devtools.kafka run --topics "$$($(RUN) python -c 'from schemas.topics import TOPIC_PARTITIONS as t; print(",".join(f"{k}:{v}" for k, v in t.items()))')"

test: install kafka-jars lint typecheck contracts check-schemas check-readme check-deploy ## everything CI runs: gates, then unit and integration tests
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

schemas: install ## regenerate the checked-in JSON Schemas and the AsyncAPI document from the event Structs
	$(RUN) python -m schemas.generate
	$(RUN) python -m schemas.asyncapi

check-schemas: install ## fail if the checked-in JSON Schemas or the AsyncAPI document are stale
	$(RUN) python -m schemas.generate --check
	$(RUN) python -m schemas.asyncapi --check

bench: install kafka-jars ## benchmarks that print figures (receiver throughput and latency, archiver)
	@command -v wrk >/dev/null || { echo "make bench needs wrk: apt-get install -y wrk"; exit 1; }
	@command -v vegeta >/dev/null || test -x $$HOME/go/bin/vegeta || go install github.com/tsenart/vegeta/v12@v12.12.0
	$(RUN) python -m benchmarks.receiver_bench
	$(RUN) python -m benchmarks.archiver_bench

clean: ## remove the venv, caches and local data (keeps nothing)
	rm -rf .venv .cache data .mypy_cache .ruff_cache .pytest_cache .hypothesis

readme: install ## regenerate the README's settings table from the settings Structs
	$(RUN) python -m devtools.readme

check-readme: install ## fail if the README's settings table is stale
	$(RUN) python -m devtools.readme --check

COMPOSE ?= docker compose

.env:
	python3 -m deploy.dotenv

up: ## run everything in Docker (compose): builds the image, returns once every container is healthy
	python3 -m deploy.dotenv
	$(COMPOSE) up -d --build --wait

down: .env ## stop the compose stack (data stays in its volumes; `docker compose down -v` deletes it)
	$(COMPOSE) down

logs: .env ## follow the compose stack's logs (one service: make logs S=receiver)
	$(COMPOSE) logs -f --tail=200 $(S)

ps: .env ## the compose stack's containers and their health
	$(COMPOSE) ps

prometheus: ## Prometheus for `make dev` on 127.0.0.1:9090, with the alert rules
	prometheus --config.file=deploy/prometheus/prometheus.dev.yml --storage.tsdb.path=.cache/prometheus --web.listen-address=127.0.0.1:9090

deploy-files: install ## regenerate .env.example and the Grafana dashboard from the code
	$(RUN) python -m deploy.envfile
	$(RUN) python -m deploy.grafana.generate

check-deploy: install ## fail if .env.example or the dashboard is stale; promtool on the configs and alerts
	$(RUN) python -m deploy.envfile --check
	$(RUN) python -m deploy.grafana.generate --check
	promtool check config deploy/prometheus/prometheus.yml deploy/prometheus/prometheus.dev.yml
	promtool check rules deploy/prometheus/alerts.yml
	promtool test rules deploy/prometheus/alerts_test.yml

test-deploy: install kafka-jars ## only the deployment tests (compose, Dockerfile, Prometheus, Grafana, AsyncAPI)
	$(RUN) pytest tests/deploy $(PYTEST_ARGS)
