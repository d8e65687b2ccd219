"""Typed, frozen settings built from `VOCALS_*` variables, with one clear line for every bad value."""

import os
import typing
from collections.abc import Mapping
from typing import Any, TypeVar

import msgspec

PREFIX = "VOCALS_"
S = TypeVar("S", bound=msgspec.Struct)


class SettingsError(ValueError):
    """A variable is missing or malformed; the message names it and says what it must be."""


def secret(description: str = "") -> msgspec.Meta:
    """Marks a field as secret: `describe()` masks it, so it is never logged."""
    return msgspec.Meta(description=description, extra={"secret": True})


def env_name(field: str, service: str | None = None) -> str:
    """`VOCALS_<FIELD>`, or with a service `VOCALS_<SERVICE>_<FIELD>`."""
    return f"{PREFIX}{service.upper()}_{field.upper()}" if service else f"{PREFIX}{field.upper()}"


def load(cls: type[S], environ: Mapping[str, str] | None = None, *, service: str | None = None) -> S:
    """Build `cls` from the `VOCALS_<FIELD>` entries of `environ` (default: the process environment).

    With `service`, `VOCALS_<SERVICE>_<FIELD>` wins over `VOCALS_<FIELD>`, so services that share one
    environment (as under `make dev`) can still be given different ports, groups and so on.
    Comma-separated values fill tuple fields; unset variables keep the field's default.
    """
    source = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for field in msgspec.structs.fields(cls):
        raw = source.get(env_name(field.name, service)) if service else None
        if raw is None:
            raw = source.get(env_name(field.name))
        if raw is None:
            continue
        values[field.name] = _split(raw) if _is_sequence(field.type) else raw.strip()
    try:
        return msgspec.convert(values, cls, strict=False)
    except msgspec.ValidationError as exc:
        raise SettingsError(_explain(cls, str(exc))) from None


def describe(settings: msgspec.Struct) -> dict[str, Any]:
    """The settings as a dict safe to log: secrets show only whether they are set."""
    shown: dict[str, Any] = {}
    for field in msgspec.structs.fields(settings):
        value = getattr(settings, field.name)
        shown[field.name] = ("<set>" if value else "<unset>") if _is_secret(field.type) else value
    return shown


def _split(raw: str) -> list[str]:
    return [part.strip() for part in raw.split(",") if part.strip()]


def _is_sequence(annotation: Any) -> bool:
    origin = typing.get_origin(_strip_annotated(annotation))
    return origin in (tuple, list, frozenset)


def _is_secret(annotation: Any) -> bool:
    if typing.get_origin(annotation) is not typing.Annotated:
        return False
    return any(isinstance(m, msgspec.Meta) and (m.extra or {}).get("secret") for m in annotation.__metadata__)


def _strip_annotated(annotation: Any) -> Any:
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = annotation.__origin__
    return annotation


def _explain(cls: type[msgspec.Struct], message: str) -> str:
    """Turn msgspec's `... - at `$.field`` into a sentence naming the environment variable."""
    problem, located, where = message.rpartition(" - at ")
    if located:
        field = where.strip("`").removeprefix("$.").split("[")[0].split(".")[0]
        return f"{env_name(field)} is invalid: {problem}"
    missing = "Object missing required field "
    if message.startswith(missing):
        return f"{env_name(message.removeprefix(missing).strip('`'))} is required but not set ({cls.__name__})"
    return message
