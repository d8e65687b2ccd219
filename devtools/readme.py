"""Keeps README.md's settings table true: one row per VOCALS_* variable, rendered from the settings Structs.

Usage: python -m devtools.readme [--check]
"""

import importlib
import pkgutil
import sys
import typing
from pathlib import Path
from typing import Any

import msgspec

import services
from services.plumbing.settings import env_name

README = Path(__file__).resolve().parents[1] / "README.md"
START = "<!-- settings-table:start -->"
END = "<!-- settings-table:end -->"


def settings_classes() -> dict[str, type[msgspec.Struct]]:
    """Service name -> its settings Struct, for every `services/<name>/settings.py` that defines one."""
    found: dict[str, type[msgspec.Struct]] = {}
    for module in pkgutil.iter_modules(services.__path__):
        try:
            settings = importlib.import_module(f"services.{module.name}.settings")
        except ModuleNotFoundError:
            continue
        for value in vars(settings).values():
            is_struct = isinstance(value, type) and issubclass(value, msgspec.Struct)
            if is_struct and value.__module__ == settings.__name__ and value.__name__.endswith("Settings"):
                found[module.name] = value
    return dict(sorted(found.items()))


def table() -> str:
    """The Markdown table: one row per variable; where services differ, each one's default and meaning."""
    rows: dict[str, list[tuple[str, str, str]]] = {}
    for service, cls in settings_classes().items():
        hints = typing.get_type_hints(cls, include_extras=True)
        for field in msgspec.structs.fields(cls):
            usage = (service, _default(field), _description(hints[field.name]))
            rows.setdefault(env_name(field.name), []).append(usage)
    lines = ["| Variable | Default | Used by | What it does |", "| --- | --- | --- | --- |"]
    for name, usages in rows.items():
        services_using = ", ".join(service for service, _, _ in usages)
        lines.append(f"| `{name}` | {_merged(usages, 1)} | {services_using} | {_merged(usages, 2)} |")
    return "\n".join(lines)


def _merged(usages: list[tuple[str, str, str]], column: int) -> str:
    values = {usage[column] for usage in usages}
    if len(values) == 1:
        return values.pop()
    return "<br>".join(f"{usage[0]}: {usage[column]}" for usage in usages)


def _default(field: msgspec.structs.FieldInfo) -> str:
    if field.required:
        return "*(required)*"
    value: Any = field.default if field.default is not msgspec.NODEFAULT else field.default_factory()
    if isinstance(value, tuple | list | frozenset):
        value = ",".join(str(item) for item in value)
    if isinstance(value, bool):
        value = str(value).lower()
    return f"`{value}`" if value not in ("", None) else "*(empty)*"


def _description(annotation: Any) -> str:
    for meta in getattr(annotation, "__metadata__", ()):
        if isinstance(meta, msgspec.Meta) and meta.description:
            secret = " **Secret.**" if (meta.extra or {}).get("secret") else ""
            return meta.description.replace("|", "\\|") + secret
    return ""


def rendered(readme: str) -> str:
    before, _, rest = readme.partition(START)
    _, _, after = rest.partition(END)
    return f"{before}{START}\n{table()}\n{END}{after}"


def main(argv: list[str]) -> int:
    current = README.read_text()
    wanted = rendered(current)
    if "--check" in argv:
        if current != wanted:
            print("README.md's settings table is out of date: run `make readme` and commit", file=sys.stderr)
            return 1
        return 0
    README.write_text(wanted)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
