"""`make up`'s first step: create .env from .env.example with fresh random secrets, once.

Usage: python3 -m deploy.dotenv   (standard library only: runs before any virtualenv exists)
An existing .env is left alone; the command only says which generated secrets it lacks.
"""

import secrets
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
GENERATED = ("POSTGRES_PASSWORD", "MINIO_ROOT_PASSWORD", "GRAFANA_ADMIN_PASSWORD", "VOCALS_CALLBACK_TOKENS")


def filled(example: str) -> str:
    """The example's text with every empty generated secret set to a new random URL-safe value."""
    lines = []
    for line in example.splitlines(keepends=True):
        name = line.strip().removesuffix("=")
        lines.append(
            f"{name}={secrets.token_urlsafe(24)}\n" if line.strip() == f"{name}=" and name in GENERATED else line
        )
    return "".join(lines)


def missing(text: str) -> list[str]:
    """Generated secrets that are empty or absent in an env file's text."""
    values = dict(line.split("=", 1) for line in text.splitlines() if "=" in line and not line.startswith("#"))
    return [name for name in GENERATED if not values.get(name, "").strip()]


def value_of(text: str, name: str) -> str:
    return next(line.split("=", 1)[1] for line in text.splitlines() if line.startswith(f"{name}="))


def main(env_path: Path = REPO / ".env", example_path: Path = REPO / ".env.example") -> int:
    if env_path.exists():
        lacking = missing(env_path.read_text())
        if lacking:
            print(
                f"{env_path} lacks {', '.join(lacking)}: set them, or delete it to generate a new one", file=sys.stderr
            )
            return 1
        return 0
    env_path.write_text(filled(example_path.read_text()))
    env_path.chmod(0o600)
    token = value_of(env_path.read_text(), "VOCALS_CALLBACK_TOKENS")
    print(f"wrote {env_path} with new secrets; the receiver accepts /callbacks/vocals?token={token}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
