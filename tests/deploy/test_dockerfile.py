"""The Dockerfile checked without Docker: locked dependencies, non-root, and only code that exists and is copied."""

import ast
import json
import re
from pathlib import Path

from deploy import compose

REPO = compose.REPO
DOCKERFILE = (REPO / "Dockerfile").read_text()
RUNTIME = DOCKERFILE.rsplit("\nFROM ", 1)[1]
"""The last stage: what the image runs."""


def _ignored_unless_allowed() -> tuple[set[str], set[str]]:
    lines = [line.strip() for line in (REPO / ".dockerignore").read_text().splitlines()]
    rules = [line for line in lines if line and not line.startswith("#")]
    return {line for line in rules if not line.startswith("!")}, {
        line[1:].rstrip("/") for line in rules if line.startswith("!")
    }


def test_dependencies_come_from_the_lock_file_without_dev_tools() -> None:
    """`uv sync --frozen --no-dev` installs exactly uv.lock's runtime packages; nothing is resolved anew."""
    assert re.search(r"uv sync --frozen --no-dev\b", DOCKERFILE)
    assert "pip install" not in DOCKERFILE


def test_the_image_runs_as_an_unprivileged_user_with_a_writable_data_directory() -> None:
    """USER is a named non-root account, and /data (the volume mount point) belongs to it."""
    user = re.findall(r"^USER\s+(\S+)", RUNTIME, flags=re.MULTILINE)
    assert user == ["vocals"]
    assert "useradd --system --uid 10001" in RUNTIME
    assert "install -d -o vocals -g vocals /data" in RUNTIME


def test_every_copied_path_exists_and_passes_the_dockerignore() -> None:
    """COPY and bind-mount sources exist in the repo and are allowed by .dockerignore (which starts from `*`)."""
    denied, allowed = _ignored_unless_allowed()
    assert "*" in denied
    sources = re.findall(r"^COPY\s+(?!--from)(\S+)\s", RUNTIME, flags=re.MULTILINE)
    sources += re.findall(r"--mount=type=bind,source=([^,\s]+)", DOCKERFILE)
    assert sorted(set(sources)) == ["pyproject.toml", "schemas/", "services/", "uv.lock"]
    for source in sources:
        assert (REPO / source).exists(), source
        assert source.rstrip("/") in allowed, f"{source} is excluded by .dockerignore"


def test_the_default_command_and_every_compose_command_run_modules_that_exist() -> None:
    """`python -m services.<name>` names a package with a __main__ inside the copied folders."""
    default = json.loads(re.findall(r"^CMD\s+(\[.*\])", RUNTIME, flags=re.MULTILINE)[0])
    commands = [default] + [compose.load()["services"][name]["command"] for name in compose.OUR_SERVICES]
    for command in commands:
        assert command[:2] == ["python", "-m"], command
        module = Path(*command[2].split("."))
        assert (REPO / module / "__main__.py").is_file(), command


def test_the_code_in_the_image_imports_nothing_left_out_of_it() -> None:
    """schemas/ and services/ import no first-party package the image does not copy (devtools, tests, deploy)."""
    left_out = {"devtools", "tests", "deploy", "benchmarks", "examples"}
    offenders = []
    for path in [*REPO.glob("schemas/**/*.py"), *REPO.glob("services/**/*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            offenders += [f"{path.relative_to(REPO)}: {name}" for name in names if name.split(".")[0] in left_out]
    assert offenders == []
