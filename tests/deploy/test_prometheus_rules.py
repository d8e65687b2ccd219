"""promtool (Debian's prometheus package) on the Prometheus configuration, the alert rules and their unit tests."""

import shutil
import subprocess

import pytest

from tests.deploy.promql import PROMETHEUS_DIR, alert_expressions

PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PROMTOOL, *args], capture_output=True, text=True, timeout=60, check=False)


@pytest.mark.parametrize("config", ["prometheus.yml", "prometheus.dev.yml"])
def test_prometheus_configuration_is_valid_and_loads_the_alert_rules(config: str) -> None:
    """`promtool check config` accepts both variants, including the rule file each points at."""
    result = promtool("check", "config", str(PROMETHEUS_DIR / config))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 1 rule files found" in result.stdout


def test_alert_rules_are_valid() -> None:
    """`promtool check rules` parses every rule and finds as many as alerts.yml declares."""
    result = promtool("check", "rules", str(PROMETHEUS_DIR / "alerts.yml"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(alert_expressions())} rules found" in result.stdout


def test_alert_rules_pass_their_unit_tests() -> None:
    """`promtool test rules` runs alerts_test.yml: each rule fires when it should, with its labels and text."""
    result = promtool("test", "rules", str(PROMETHEUS_DIR / "alerts_test.yml"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_every_alert_rule_has_a_unit_test() -> None:
    """Each alert name appears as the alertname of some case in alerts_test.yml."""
    tested = (PROMETHEUS_DIR / "alerts_test.yml").read_text()
    untested = [name for name in alert_expressions() if f"alertname: {name}\n" not in tested]
    assert untested == []
