"""Footprint of a plain install (goal: <= 50 packages, <= 90 MB).

``pip install .`` (no extras) into a fresh venv, as a stand PC gets it; printed: the
distributions installed (stand-bridge counted; pip and setuptools, which the venv
brings, not) and the megabytes on disk as ``du`` counts them, bytecode included: the
whole venv (what the goal is held against) and site-packages without pip.
``--extras sim`` measures an install with extras; ``--project DIR`` another checkout
(a before/after comparison).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from _timing import run_quietly, verdict

ROOT = Path(__file__).resolve().parent.parent
GOAL_PACKAGES = 50
GOAL_MB = 90.0
NOT_COUNTED = {"pip", "setuptools", "wheel"}  # what the venv brings, not what we pull in
NOT_COUNTED_FILES = {"pkg_resources", "_distutils_hack", "distutils"}  # setuptools' too


def venv_python(venv: Path) -> Path:
    folder = "Scripts" if os.name == "nt" else "bin"
    return venv / folder / ("python.exe" if os.name == "nt" else "python")


def tree_bytes(folder: Path) -> int:
    """Bytes on disk as ``du`` counts them (whole blocks), else the file sizes (Windows)."""
    files = [path.stat() for path in folder.rglob("*") if path.is_file() and not path.is_symlink()]
    if files and hasattr(files[0], "st_blocks"):
        return sum(stat.st_blocks * 512 for stat in files)
    return sum(stat.st_size for stat in files)


def installed(python: Path) -> list[dict[str, str]]:
    listing = subprocess.run([str(python), "-m", "pip", "list", "--format=json"],
                             capture_output=True, text=True, check=True)
    return [row for row in json.loads(listing.stdout) if row["name"].lower() not in NOT_COUNTED]


def site_packages(python: Path) -> Path:
    code = "import sysconfig; print(sysconfig.get_path('purelib'))"
    found = subprocess.run([str(python), "-c", code], capture_output=True, text=True, check=True)
    return Path(found.stdout.strip())


def measure(project: Path, extras: str) -> tuple[list[dict[str, str]], float, float]:
    target = f"{project}[{extras}]" if extras else str(project)
    with tempfile.TemporaryDirectory(prefix="bench-install-") as tmp:
        venv = Path(tmp) / "venv"
        run_quietly([sys.executable, "-m", "venv", str(venv)])
        python = venv_python(venv)
        run_quietly([str(python), "-m", "pip", "install", "--quiet", target])
        site = site_packages(python)
        not_ours = sum(tree_bytes(path) for path in site.iterdir()
                       if path.name.lower().split("-")[0] in NOT_COUNTED | NOT_COUNTED_FILES)
        return installed(python), tree_bytes(venv) / 1e6, (tree_bytes(site) - not_ours) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--extras", default="", help="e.g. sim (default: a plain install)")
    parser.add_argument("--project", type=Path, default=ROOT, help="checkout to install")
    parser.add_argument("--list", action="store_true", help="also print every package")
    args = parser.parse_args()
    packages, venv_mb, site_mb = measure(args.project, args.extras)
    what = f"pip install .[{args.extras}]" if args.extras else "pip install ."
    print(f"(i) {what} in a fresh venv: {len(packages)} packages "
          f"[goal <= {GOAL_PACKAGES}: {verdict(len(packages), GOAL_PACKAGES)}], "
          f"{venv_mb:.1f} MB venv [goal <= {GOAL_MB:.0f} MB: {verdict(venv_mb, GOAL_MB)}] "
          f"({site_mb:.1f} MB of it in site-packages without pip)")
    if args.list:
        print(" ".join(sorted(f"{row['name']}=={row['version']}" for row in packages)))


if __name__ == "__main__":
    main()
