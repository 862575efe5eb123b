"""Stand PCs run Windows: nothing may need a POSIX-only module or a POSIX path."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

#: Standard-library modules that exist only on POSIX.
POSIX_ONLY = ("fcntl", "termios", "pwd", "grp", "resource", "tty", "pty", "syslog", "crypt",
              "posix", "readline", "spwd", "nis")

IMPORT_ALL = textwrap.dedent("""
    import importlib, importlib.abc, pkgutil, sys

    blocked = set(sys.argv[1].split(","))

    def importer():
        # The module whose code runs the import statement (past importlib's frames).
        frame = sys._getframe(2)
        while frame.f_code.co_filename.startswith("<frozen"):
            frame = frame.f_back
        return frame.f_globals.get("__name__", "")

    class NoPosix(importlib.abc.MetaPathFinder):
        # Our code may not import a POSIX-only module. Libraries that pick a module per
        # platform (pyserial, portalocker) import theirs on POSIX, and Windows' on Windows.
        def find_spec(self, name, path=None, target=None):
            if name.partition(".")[0] in blocked and importer().partition(".")[0] in (
                    "bridge", "drivers"):
                raise ModuleNotFoundError(f"No module named {name!r} (as on Windows)", name=name)
            return None

    for name in blocked - {"posix"}:  # os itself is built on posix (nt on Windows)
        sys.modules.pop(name, None)
    sys.meta_path.insert(0, NoPosix())
    imported = []
    for package in ("bridge", "drivers"):
        root = importlib.import_module(package)
        for info in pkgutil.walk_packages(root.__path__, package + "."):
            if info.name.endswith(".__main__"):  # runs the command line; its imports are main's
                continue
            importlib.import_module(info.name)
            imported.append(info.name)
    print(len(imported), " ".join(imported))
""")


def test_every_module_imports_without_posix_only_modules():
    result = subprocess.run([sys.executable, "-c", IMPORT_ALL, ",".join(POSIX_ONLY)],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    count, names = result.stdout.split(" ", 1)
    assert "drivers.lock" in names.split() and "drivers.sim.interleave" in names.split()
    assert "bridge.host" in names.split() and int(count) > 30


def test_the_import_check_catches_a_module_that_needs_fcntl(tmp_path):
    (tmp_path / "drivers").mkdir()
    (tmp_path / "bridge").mkdir()
    (tmp_path / "bridge" / "__init__.py").write_text("")
    (tmp_path / "drivers" / "__init__.py").write_text("")
    (tmp_path / "drivers" / "posixy.py").write_text("import fcntl\n")
    result = subprocess.run([sys.executable, "-c", IMPORT_ALL, ",".join(POSIX_ONLY)],
                            cwd=tmp_path, capture_output=True, text=True, timeout=60,
                            env={"PYTHONPATH": str(tmp_path), "PATH": ""})
    assert result.returncode != 0
    assert "No module named 'fcntl' (as on Windows)" in result.stderr


@pytest.mark.parametrize("folder", ["bridge", "drivers"])
def test_no_code_path_is_built_with_a_slash(folder):
    """Paths are joined with pathlib; a "/" in a string is a URL, an address or a doc."""
    suspicious = re.compile(r"""os\.path\.join\([^)]*["']/|\+\s*["']/[\w.]|["'][\w.]+/["']\s*\+""")
    hits = [f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
            for path in (ROOT / folder).rglob("*.py")
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
            if suspicious.search(line)]
    assert hits == []


@pytest.fixture
def set_tz(monkeypatch):
    """Set (or with None, unset) TZ; tzlocal remembers the zone it found, so it rereads."""
    import tzlocal

    def set_to(value: str | None) -> None:
        if value is None:
            monkeypatch.delenv("TZ", raising=False)
        else:
            monkeypatch.setenv("TZ", value)
        tzlocal.reload_localzone()

    yield set_to
    monkeypatch.undo()
    tzlocal.reload_localzone()


def test_time_zone_is_the_iana_name_when_tz_is_a_zoneinfo_path(set_tz):
    from bridge.host import timezone_name

    zone = Path("/usr/share/zoneinfo/Europe/Helsinki")
    if not zone.is_file():
        pytest.skip("no zoneinfo database on this machine")
    set_tz(str(zone))  # the old guess read /etc/localtime instead
    assert timezone_name() == "Europe/Helsinki"


def test_time_zone_is_an_iana_name_not_an_abbreviation(set_tz):
    from zoneinfo import available_timezones

    from bridge.host import timezone_name

    set_tz(":America/Chicago")
    assert timezone_name() == "America/Chicago"
    set_tz(None)
    assert timezone_name() in available_timezones() | {"UTC"}
