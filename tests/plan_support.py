"""A test-plan folder run by pytest in its own process, against a real store."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

# anyio (an httpx dependency) registers a pytest plugin whose imports cost each pytest
# process about 0.5 s, half of a small plan's run; no plan here uses it.
PYTEST_ADDOPTS = "-p no:anyio"


class Plan:
    """A test-plan folder in tmp, run by pytest in its own process, like on a stand."""

    def __init__(self, root: Path):
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)

    def write(self, name: str, text: str) -> Path:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
        return path

    @staticmethod
    def env() -> dict[str, str]:
        # Not inherited: the outer run's xdist worker id would pick a slot in the inner.
        return {**{k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")},
                "PYTEST_ADDOPTS": PYTEST_ADDOPTS, "PYTHONDONTWRITEBYTECODE": "1",
                "COLUMNS": "160"}

    def pytest(self, *args: str, timeout: float = 120,
               input: str | None = None) -> subprocess.CompletedProcess[str]:
        """``input``: piped to pytest's stdin (the operator's answers), else inherited."""
        return subprocess.run(
            [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *args],
            cwd=self.root, capture_output=True, text=True, timeout=timeout, env=self.env(),
            input=input)

    def bridge(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "bridge.cli.main", *args], cwd=self.root,
                              capture_output=True, text=True, timeout=timeout, env=self.env())

    def export(self, run: str = "last") -> dict:
        result = self.bridge("export", run)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    def run_ids(self) -> list[str]:
        result = self.bridge("runs", "--json")
        assert result.returncode == 0, result.stderr
        return [json.loads(line)["id"] for line in result.stdout.splitlines() if line.strip()]

    @property
    def store_path(self) -> Path:
        return self.root / ".bridge" / "runs.db"
