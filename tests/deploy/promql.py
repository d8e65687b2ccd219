"""The PromQL the deployment ships: the dashboard's queries and the alert expressions, and the metrics they name."""

import re
from pathlib import Path

import yaml

from deploy.grafana import generate

PROMETHEUS_DIR = Path(__file__).resolve().parents[2] / "deploy" / "prometheus"
_METRIC = re.compile(r"\b(vocals_[a-z0-9_]+)\b")
SERIES_SUFFIXES = {
    "counter": ("_total", "_created"),
    "histogram": ("_bucket", "_sum", "_count", "_created"),
    "gauge": ("",),
}


def alert_expressions() -> dict[str, str]:
    """Alert name -> its expression, from alerts.yml."""
    groups = yaml.safe_load((PROMETHEUS_DIR / "alerts.yml").read_text())["groups"]
    return {rule["alert"]: rule["expr"] for group in groups for rule in group["rules"]}


def dashboard_expressions() -> list[str]:
    return generate.expressions()


def metric_names(expression: str) -> set[str]:
    """The vocals_* series an expression selects (every vocals metric starts so; `up` is Prometheus' own)."""
    return set(_METRIC.findall(expression))


def series_names(families: dict[str, str]) -> set[str]:
    """Every series name a set of metric families ({family name: type}) can expose.

    A counter family is named with `_total` in the text format Prometheus scrapes and without it in
    OpenMetrics and in prometheus_client's registry: both give the same series.
    """
    names = set()
    for family, kind in families.items():
        base = family.removesuffix("_total") if kind == "counter" else family
        names |= {base + suffix for suffix in SERIES_SUFFIXES.get(kind, ("",))}
    return names


def unknown_metrics(expressions: list[str], exported: set[str]) -> dict[str, set[str]]:
    """Expression -> the metrics it names that are not exported (empty when all is well)."""
    missing = {expression: metric_names(expression) - exported for expression in expressions}
    return {expression: names for expression, names in missing.items() if names}
