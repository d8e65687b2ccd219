"""Reading compose.yaml as Docker Compose would: services, their environment, `${NAME:-default}` interpolation."""

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import msgspec

REPO = Path(__file__).resolve().parents[1]
COMPOSE_FILE = REPO / "compose.yaml"
OUR_SERVICES = ("receiver", "archiver", "notifier", "reconciler")
"""The compose services built from this repository's Dockerfile, named as the `services.<name>` packages."""

_INTERPOLATION = re.compile(r"\$\$|\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?+])(?P<arg>[^}]*))?\}")


def load(path: Path = COMPOSE_FILE) -> dict[str, Any]:
    """The compose file as plain data (YAML anchors and merge keys resolved, nothing interpolated)."""
    document: dict[str, Any] = msgspec.yaml.decode(path.read_bytes())
    return document


def environment(compose: Mapping[str, Any], service: str) -> dict[str, str]:
    """A service's `environment:` entries, uninterpolated, as strings."""
    entries = compose["services"][service].get("environment") or {}
    if isinstance(entries, list):
        entries = dict(entry.split("=", 1) for entry in entries)
    return {name: str(value) for name, value in entries.items()}


def variables(text: str) -> list[tuple[str, str | None]]:
    """The `${NAME...}` references in `text`: (NAME, its default after `:-`/`-`, or None)."""
    found = []
    for match in _INTERPOLATION.finditer(text):
        if match["name"]:
            default = match["arg"] if match["op"] in (":-", "-") else None
            found.append((match["name"], default))
    return found


def interpolate(text: str, values: Mapping[str, str]) -> str:
    """`text` with `${NAME}`, `${NAME:-default}` and `${NAME:?error}` replaced as Compose does; `$$` -> `$`."""

    def replace(match: re.Match[str]) -> str:
        if not match["name"]:
            return "$"
        name, op, arg = match["name"], match["op"], match["arg"]
        value = values.get(name)
        if op in (":?", "?") and not value:
            raise KeyError(f"{name} is required by compose.yaml: {arg}")
        if (op == ":-" and not value) or (op == "-" and value is None):
            return arg
        return value or ""

    return _INTERPOLATION.sub(replace, text)


def read_dotenv(text: str) -> dict[str, str]:
    """`NAME=value` lines of an env file; comments and blank lines skipped."""
    values = {}
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#") and "=" in stripped:
            name, value = stripped.split("=", 1)
            values[name.strip()] = value.strip()
    return values
