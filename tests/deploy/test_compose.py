"""compose.yaml checked without Docker: against the Compose Specification schema and against the code."""

import json
import re
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import msgspec
import pytest
import yaml

from deploy import compose
from deploy.dotenv import filled
from deploy.envfile import SETTINGS
from schemas.topics import TOPIC_PARTITIONS
from services.plumbing.settings import env_name, load

REPO = compose.REPO
DOCUMENT = compose.load()
SERVICES: dict[str, Any] = DOCUMENT["services"]
ONE_SHOT = {name for name, service in SERVICES.items() if service.get("restart") == "no"}
LONG_RUNNING = set(SERVICES) - ONE_SHOT
SAMPLE_ENV = {
    **compose.read_dotenv(filled((REPO / ".env.example").read_text())),
    "VOCALS_PROVIDER_API_KEY": "provider-key-from-the-operator",
}
"""The .env `make up` writes on a fresh checkout (the example, generated secrets filled), plus the provider key
an operator adds to enable the reconciler."""


def resolved_environment(service: str) -> dict[str, str]:
    """What the container's process sees: .env (env_file) overlaid by `environment:`, interpolated."""
    wired = {
        name: compose.interpolate(value, SAMPLE_ENV) for name, value in compose.environment(DOCUMENT, service).items()
    }
    return {**SAMPLE_ENV, **wired}


def test_compose_file_is_valid_against_the_compose_specification() -> None:
    """compose.yaml validates against the Compose Specification JSON Schema that check-jsonschema ships."""
    schema_file = resources.files("check_jsonschema.builtin_schemas.vendor") / "compose-spec.json"
    schema = json.loads(schema_file.read_text())
    raw = yaml.safe_load((REPO / "compose.yaml").read_text())
    jsonschema.validate(raw, schema)
    broken = {**raw, "services": {**raw["services"], "receiver": {**raw["services"]["receiver"], "restart": 7}}}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)


@pytest.mark.parametrize("service", compose.OUR_SERVICES)
def test_every_variable_a_service_is_given_is_one_of_its_settings(service: str) -> None:
    """Each VOCALS_* name in a service's `environment:` is a field of that service's settings Struct."""
    names = {env_name(field.name) for field in msgspec.structs.fields(SETTINGS[service])}
    given = set(compose.environment(DOCUMENT, service))
    assert given, f"{service} has no environment in compose.yaml"
    assert given - names == set(), f"{service} is given variables its settings do not define"


@pytest.mark.parametrize("service", compose.OUR_SERVICES)
def test_every_service_starts_with_the_settings_compose_and_a_fresh_env_give_it(service: str) -> None:
    """The interpolated environment builds the service's settings without a single error."""
    settings = load(SETTINGS[service], resolved_environment(service), service=service)
    assert settings.kafka_bootstrap == "kafka:29092"  # type: ignore[attr-defined]


def test_services_listen_on_all_interfaces_on_the_ports_compose_publishes_and_probes() -> None:
    """Each service binds 0.0.0.0 on its default port, which compose publishes and its healthcheck asks /readyz of."""
    ports = {
        "receiver": ("host", "port", 8080),
        "archiver": ("http_host", "http_port", 8081),
        "notifier": ("http_host", "http_port", 8082),
        "reconciler": ("reconciler_http_host", "reconciler_http_port", 8083),
    }
    assert set(ports) == set(compose.OUR_SERVICES)
    for service, (host_field, port_field, default_port) in ports.items():
        settings = load(SETTINGS[service], resolved_environment(service), service=service)
        defaults = SETTINGS[service]  # the code's default port is the documented one
        assert getattr(settings, host_field) == "0.0.0.0", service  # noqa: S104 - inside its container
        assert getattr(settings, port_field) == default_port == _field_default(defaults, port_field), service
        assert SERVICES[service]["ports"] == [f"${{PUBLISH_ADDRESS:-127.0.0.1}}:{default_port}:{default_port}"]
        probe = " ".join(SERVICES[service]["healthcheck"]["test"])
        assert f"http://127.0.0.1:{default_port}/readyz" in probe, service


def _field_default(settings: type[msgspec.Struct], name: str) -> Any:
    return next(field.default for field in msgspec.structs.fields(settings) if field.name == name)


@pytest.mark.parametrize("service", compose.OUR_SERVICES)
def test_each_service_runs_its_own_module_from_the_one_image(service: str) -> None:
    """Commands are `python -m services.<name>` of a package with a __main__, all built from the Dockerfile."""
    spec = SERVICES[service]
    assert spec["command"] == ["python", "-m", f"services.{service}"]
    assert (REPO / "services" / service / "__main__.py").is_file()
    assert spec["build"] == {"context": "."}
    assert spec["image"] == "vocals-pipeline:local"


def test_every_image_is_pinned_to_a_version() -> None:
    """No image floats: each has an explicit tag that is not `latest` (digits in it), the Dockerfile's too."""
    images = [spec["image"] for spec in SERVICES.values() if "build" not in spec]
    images += re.findall(r"^FROM\s+(\S+)", (REPO / "Dockerfile").read_text(), flags=re.MULTILINE)
    assert len(images) >= 10
    for image in images:
        name, _, tag = image.rpartition(":")
        assert name, image
        assert re.fullmatch(r"[\w.-]*\d[\w.-]*", tag), image
        assert tag != "latest", image


def test_kafka_runs_the_version_make_dev_and_the_tests_run() -> None:
    """apache/kafka's tag is the kafka.version of tools/kafka/pom.xml, for the broker and the topic step."""
    version = re.search(r"<kafka.version>([^<]+)</kafka.version>", (REPO / "tools" / "kafka" / "pom.xml").read_text())
    assert version
    assert SERVICES["kafka"]["image"] == SERVICES["kafka-topics"]["image"] == f"apache/kafka:{version[1]}"


def test_the_topic_step_creates_every_topic_with_its_partition_count() -> None:
    """The one-shot step creates exactly schemas.topics.TOPIC_PARTITIONS, prefix-aware."""
    script = SERVICES["kafka-topics"]["command"][0]
    created = dict(re.findall(r"--topic \$\{VOCALS_KAFKA_TOPIC_PREFIX:-\}(\S+) --partitions (\d+)", script))
    assert {topic: int(count) for topic, count in created.items()} == TOPIC_PARTITIONS


def test_every_one_shot_step_is_awaited_by_a_long_running_service() -> None:
    """`up --wait` succeeds only if each exiting step is some service's service_completed_successfully."""
    assert sorted(ONE_SHOT) == ["kafka-topics", "minio-bucket"]
    awaited = {
        dependency
        for name in LONG_RUNNING
        for dependency, condition in (SERVICES[name].get("depends_on") or {}).items()
        if condition["condition"] == "service_completed_successfully"
    }
    assert awaited == ONE_SHOT


def test_every_long_running_service_has_a_healthcheck_and_a_restart_policy() -> None:
    """So `up --wait` waits for health, and a crashed service comes back; dependencies wait for health too."""
    for name in LONG_RUNNING:
        assert SERVICES[name]["restart"] == "unless-stopped", name
        assert SERVICES[name]["healthcheck"]["test"], name
        for dependency, condition in (SERVICES[name].get("depends_on") or {}).items():
            expected = "service_completed_successfully" if dependency in ONE_SHOT else "service_healthy"
            assert condition["condition"] == expected, f"{name} -> {dependency}"


def test_data_lives_on_named_volumes() -> None:
    """Every stateful service keeps its data on a named volume declared at the top level."""
    declared = set(DOCUMENT["volumes"])
    for name, path in {
        "kafka": "/var/lib/kafka/data",
        "postgres": "/var/lib/postgresql/data",
        "minio": "/data",
        "receiver": "/data",
        "prometheus": "/prometheus",
        "grafana": "/var/lib/grafana",
    }.items():
        volumes = dict(volume.split(":")[:2][::-1] for volume in SERVICES[name]["volumes"])
        assert volumes.get(path) in declared, f"{name} keeps {path} on {volumes.get(path)!r}"
    receiver = load(SETTINGS["receiver"], resolved_environment("receiver"), service="receiver")
    assert Path(receiver.spool_path).parent == Path("/data")  # type: ignore[attr-defined]


def test_a_value_two_services_read_differently_is_set_per_service() -> None:
    """Fields with one name and two meanings are never left to the shared .env."""
    per_service = ("public_url", "consumer_group", "max_concurrency", "http_port", "http_host")
    for field in per_service:
        owners = [s for s in compose.OUR_SERVICES if any(f.name == field for f in msgspec.structs.fields(SETTINGS[s]))]
        assert len(owners) >= 2, field
        for service in owners:
            assert env_name(field) in compose.environment(DOCUMENT, service), f"{service} {field}"


def test_the_bundled_infrastructure_gets_the_credentials_the_services_use() -> None:
    """The archiver's S3 key and database URL are the MinIO and PostgreSQL credentials from the same .env."""
    archiver = resolved_environment("archiver")
    notifier = resolved_environment("notifier")
    password = SAMPLE_ENV["POSTGRES_PASSWORD"]
    assert len(password) >= 16
    assert (
        archiver["VOCALS_DATABASE_URL"]
        == notifier["VOCALS_DATABASE_URL"]
        == (f"postgresql+asyncpg://vocals:{password}@postgres:5432/vocals")
    )
    assert archiver["VOCALS_S3_SECRET_ACCESS_KEY"] == SAMPLE_ENV["MINIO_ROOT_PASSWORD"] != ""
    assert archiver["VOCALS_ARCHIVE_URL"] == "s3://vocals-archive"
    assert SERVICES["minio-bucket"]["command"][-1] == "vocals/vocals-archive"
    assert resolved_environment("notifier")["VOCALS_SMTP_HOST"] == "mailpit"


def test_every_file_compose_mounts_exists_and_grafana_finds_its_home_dashboard() -> None:
    """Bind mounts name files of this repository; Grafana's home dashboard is the generated one, mounted."""
    mounts = {}
    for spec in SERVICES.values():
        for volume in spec.get("volumes", []):
            source, target = volume.split(":")[:2]
            if source.startswith("./"):
                assert (REPO / source).exists(), source
                mounts[target] = REPO / source
    home = SERVICES["grafana"]["environment"]["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
    folder, _, name = home.rpartition("/")
    assert (mounts[folder] / name).is_file()
    assert mounts["/etc/prometheus/prometheus.yml"].name == "prometheus.yml"
