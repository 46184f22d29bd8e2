"""Packaging: environment.yml lists what pyproject.toml lists; the CLI is installed."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _normalise(spec: str) -> tuple[str, str]:
    name, bound = re.match(r"^([A-Za-z0-9_.\-]+)\s*(.*)$", spec.strip()).groups()
    return name.lower().replace("_", "-"), bound.replace(" ", "")


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = set(map(_normalise, project["dependencies"]))
    extras = project["optional-dependencies"]
    assert {"notebooks", "dev", "pdf", "docx", "dask"} <= set(extras)
    for extra in extras.values():
        wanted |= set(map(_normalise, extra))
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = {_normalise(d) for d in env["dependencies"] if isinstance(d, str)}
    conda -= {("python", ">=3.11"), ("pip", "")}
    assert conda == wanted, (
        f"only in environment.yml: {sorted(conda - wanted)}; "
        f"only in pyproject.toml: {sorted(wanted - conda)}"
    )
    python = project["requires-python"]
    assert ("python", python) in {_normalise(d) for d in env["dependencies"] if isinstance(d, str)}


def test_public_api_is_listed():
    import outcomes

    missing = [name for name in outcomes.__all__ if not hasattr(outcomes, name)]
    assert missing == []
    assert len(outcomes.__all__) == len(set(outcomes.__all__))
