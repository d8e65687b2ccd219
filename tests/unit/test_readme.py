"""README.md stays true: the settings table matches the code, and every make target is documented."""

import re
from pathlib import Path

from devtools import readme

ROOT = Path(__file__).resolve().parents[2]


def test_settings_table_matches_the_settings_structs() -> None:
    """Every VOCALS_* variable of every service is in the table, with its current default (run `make readme`)."""
    text = readme.README.read_text()
    assert readme.rendered(text) == text


def test_every_make_target_is_in_the_readme() -> None:
    """Each target `make help` lists appears in the README as `make <target>`."""
    targets = re.findall(r"^([a-z][a-z-]*):.*## ", (ROOT / "Makefile").read_text(), flags=re.MULTILINE)
    text = readme.README.read_text()
    assert targets, "no documented targets found in the Makefile"
    missing = [target for target in targets if f"make {target}" not in text]
    assert missing == []


def test_quick_start_is_two_commands() -> None:
    """The quick start names `make dev` and `make test`."""
    quick_start = readme.README.read_text().split("## Quick start", 1)[1].split("\n## ", 1)[0]
    assert "make dev" in quick_start
    assert "make test" in quick_start
