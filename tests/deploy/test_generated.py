"""Generated deployment files are up to date with the code that generates them, and say what they must."""

import json
import re
from collections.abc import Callable
from pathlib import Path

import msgspec
import pytest

from deploy import dotenv, envfile
from deploy.grafana import generate
from schemas import asyncapi
from services.plumbing.settings import env_name

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("path", "render", "command"),
    [
        (envfile.ENV_EXAMPLE, lambda: envfile.rendered().encode(), "make deploy-files"),
        (generate.DASHBOARD, lambda: generate.rendered().encode(), "make deploy-files"),
        (asyncapi.DOCUMENT, asyncapi.rendered, "make schemas"),
    ],
    ids=["env-example", "dashboard", "asyncapi"],
)
def test_checked_in_file_matches_its_generator(path: Path, render: Callable[[], bytes], command: str) -> None:
    """Regenerating gives the committed bytes: settings, panels and events changed together with their files."""
    assert path.read_bytes() == render(), f"{path.relative_to(REPO)} is stale: run `{command}` and commit it"


def test_env_example_names_every_setting_of_every_service_and_leaves_secrets_empty() -> None:
    """Each VOCALS_* field appears; every secret line is empty; nothing else is set."""
    text = envfile.ENV_EXAMPLE.read_text()
    for service, settings in envfile.SETTINGS.items():
        for field in msgspec.structs.fields(settings):
            assert env_name(field.name) in text, f"{service}: {env_name(field.name)}"
    assigned = re.findall(r"^([A-Z_]+)=(.*)$", text, flags=re.MULTILINE)
    assert assigned, "no secret lines found"
    assert all(value == "" for _, value in assigned), assigned
    secrets = {
        name for settings in envfile.SETTINGS.values() for name, f in envfile.fields(settings).items() if f.secret
    }
    assert secrets <= {name for name, _ in assigned} | {"VOCALS_S3_SECRET_ACCESS_KEY"}


def test_make_up_fills_each_generated_secret_once(tmp_path: Path) -> None:
    """deploy.dotenv writes .env with fresh random secrets, keeps an existing one, and flags one lacking them."""
    env, example = tmp_path / ".env", envfile.ENV_EXAMPLE
    assert dotenv.main(env, example) == 0
    first = env.read_text()
    values = dict(re.findall(r"^([A-Z_]+)=(.+)$", first, flags=re.MULTILINE))
    assert set(values) == set(dotenv.GENERATED) == set(envfile.GENERATED)
    assert all(len(value) >= 32 for value in values.values())
    assert dotenv.main(env, example) == 0
    assert env.read_text() == first
    env.write_text(first.replace(f"POSTGRES_PASSWORD={values['POSTGRES_PASSWORD']}", "POSTGRES_PASSWORD="))
    assert dotenv.main(env, example) == 1


def test_dashboard_panels_are_laid_out_without_overlap_on_the_provisioned_datasource() -> None:
    """Panels have unique ids, do not overlap on Grafana's 24-column grid, and query the provisioned uid."""
    dashboard = json.loads(generate.DASHBOARD.read_text())
    datasource = (REPO / "deploy/grafana/provisioning/datasources/prometheus.yml").read_text()
    assert f"uid: {generate.DATASOURCE['uid']}" in datasource
    cells: set[tuple[int, int]] = set()
    for panel in dashboard["panels"]:
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24
        area = {
            (x, y) for x in range(grid["x"], grid["x"] + grid["w"]) for y in range(grid["y"], grid["y"] + grid["h"])
        }
        assert not cells & area, panel["title"]
        cells |= area
    assert len({panel["id"] for panel in dashboard["panels"]}) == len(dashboard["panels"])
    timeseries = [panel for panel in dashboard["panels"] if panel["type"] == "timeseries"]
    assert all(target["datasource"] == generate.DATASOURCE for p in timeseries for target in p["targets"])
    assert len(timeseries) >= 20


def test_every_variable_env_example_offers_is_read_by_some_service() -> None:
    """Each VOCALS_ name (set or commented) is a setting, or VOCALS_<SERVICE>_<FIELD> of that service's setting."""
    names = set(re.findall(r"^#?(VOCALS_[A-Z0-9_]+)=", envfile.ENV_EXAMPLE.read_text(), flags=re.MULTILINE))
    fields = {service: set(envfile.fields(settings)) for service, settings in envfile.SETTINGS.items()}
    plain = set().union(*fields.values())
    per_service = {
        f"VOCALS_{service.upper()}_{name.removeprefix('VOCALS_')}" for service in fields for name in fields[service]
    }
    assert len(names) > 60
    assert names - plain - per_service == set()
