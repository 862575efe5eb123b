"""hardpy.toml, [instruments], the command line and store files, as a hostile or
unlucky user writes them: each one a clear error naming the file, key or argument (or
accepted when it is fine), and a file that is not ours left untouched. In-process:
``load_config``, the instruments' validation and ``bridge.cli.main.main`` are the
real paths; nothing here needs a pytest subprocess."""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import sqlite3
import time
import types
import uuid
from pathlib import Path

from audit_support import Tally

from bridge.cli.main import main
from bridge.config import load_config
from bridge.recorder import RunRecorder
from bridge.store import Store
from bridge.store.writer import RunWriter

GOOD_PSU = 'driver = "drivers.psu.ScpiPowerSupply"\nresource = "TCPIP0::10.0.0.1::5025::SOCKET"\n'
CONFIGS: dict[str, tuple[bytes, str | None]] = {
    # name: (file content, key the error names; None: the file is fine)
    "utf-16": ('[stand]\nmode = "sim"\n'.encode("utf-16"), "UTF-8"),
    "utf-8 BOM": (b'\xef\xbb\xbf[stand]\nmode = "sim"\n', "TOML"),
    "latin-1": ('title = "Prüfstand"\n'.encode("latin-1"), "UTF-8"),
    "binary": (os.urandom(64).replace(b"\n", b"") + b"\xff", None),
    "NUL byte": (b'title = "a\x00b"\n', "TOML"),
    "3000-deep array": (b"a = " + b"[" * 3000 + b"]" * 3000 + b"\n", "nested"),
    "3000-deep table": (b"a = " + b"{b = " * 3000 + b"1" + b"}" * 3000 + b"\n", "nested"),
    "unclosed string": (b'title = "x\n', "TOML"),
    "duplicate key": (b'title = "a"\ntitle = "b"\n', "TOML"),
    "empty": (b"", None),
    "only comments": (b"# nothing\n", None),
    "unknown top key": (b"colour = 1\n", "colour"),
    "unknown section": (b"[stnad]\nmode = 1\n", "stnad"),
    "title not str": (b"title = 5\n", "title"),
    "tests_name table": (b"[tests_name]\na = 1\n", "tests_name"),
    "store path int": (b"[store]\npath = 5\n", "store.path"),
    "store unknown": (b"[store]\nfile = 'x'\n", "store.file"),
    "mode wrong": (b'[stand]\nmode = "simulated"\n', "stand.mode"),
    "mode int": (b"[stand]\nmode = 1\n", "stand.mode"),
    "attempt_pause inf": (b"[stand]\nattempt_pause = inf\n", "attempt_pause"),
    "attempt_pause -inf": (b"[stand]\nattempt_pause = -inf\n", "attempt_pause"),
    "attempt_pause nan": (b"[stand]\nattempt_pause = nan\n", "attempt_pause"),
    "attempt_pause negative": (b"[stand]\nattempt_pause = -1\n", "attempt_pause"),
    "attempt_pause a year": (b"[stand]\nattempt_pause = 31536000\n", "attempt_pause"),
    "attempt_pause text": (b'[stand]\nattempt_pause = "1s"\n', "attempt_pause"),
    "attempt_pause 0": (b"[stand]\nattempt_pause = 0\n", None),
    "autosync text": (b'[stand_cloud]\nautosync = "yes"\n', "autosync"),
    "autosync_timeout 0": (b"[stand_cloud]\nautosync_timeout = 0\n", "autosync_timeout"),
    "autosync_timeout float": (b"[stand_cloud]\nautosync_timeout = 1.5\n", "autosync_timeout"),
    "autosync_timeout 2**70": (b"[stand_cloud]\nautosync_timeout = 1180591620717411303424\n",
                               None),
    "verify text": (b'[stand_cloud]\nverify = "no"\n', "verify"),
    "api_key int": (b"[stand_cloud]\napi_key = 5\n", "api_key"),
    "address list": (b"[stand_cloud]\naddress = [1]\n", "address"),
    "stand_cloud unknown": (b"[stand_cloud]\nadress = 'x'\n", "adress"),
    "ca_file int": (b"[stand_cloud]\nca_file = 5\n", "ca_file"),
    "instruments not table": (b"instruments = 5\n", "instruments"),
    "instrument no driver": (b"[instruments.psu]\nresource = 'x'\n", "driver"),
    "instrument driver int": (b"[instruments.psu]\ndriver = 5\n", "driver"),
    "slots not table": (b"slots = 'a'\n", "slots"),
    "slot not table": (b"[slots]\na = 5\n", "slots"),
    "HardPy file": (b'tests_dir = "t"\n[database]\nuser = "dev"\n[frontend]\nport = 8000\n',
                    None),
}
INSTRUMENTS: dict[str, tuple[str, str | None]] = {
    "no such driver class": ('driver = "drivers.psu.NoSuchSupply"\n', "driver"),
    "no such module": ('driver = "nowhere.Supply"\n', "driver"),
    "not a driver": ('driver = "drivers.transport.VisaTransport"\n', "driver"),
    "driver is a module": ('driver = "drivers"\n', "driver"),
    "driver empty": ('driver = ""\n', "driver"),
    "driver with spaces": ('driver = "drivers. psu"\n', "driver"),
    "unknown option": (GOOD_PSU + "chanel = 2\n", "chanel"),
    "option mistyped": (GOOD_PSU + 'channel = "two"\n', "channel"),
    "option float for int": (GOOD_PSU + "channel = 1.5\n", "channel"),
    "option bool for int": (GOOD_PSU + "channel = true\n", "channel"),
    "missing resource": ('driver = "drivers.psu.ScpiPowerSupply"\n', "resource"),
    "resource int": ('driver = "drivers.psu.ScpiPowerSupply"\nresource = 5\n', "resource"),
    "fine": (GOOD_PSU, None),
}


class _Config:  # what InstrumentsPlugin needs of pytest's config
    pluginmanager = types.SimpleNamespace(register=lambda *args: None)


def _config_file(folder: Path, name: str, content: bytes) -> Path:
    path = folder / f"{abs(hash(name))}" / "hardpy.toml"
    path.parent.mkdir()
    path.write_bytes(content)
    return path


def test_config_files(tmp_path, record_property):
    tally = Tally()
    for name, (content, key) in CONFIGS.items():
        path = _config_file(tmp_path, name, content)
        if key is None and name != "binary":
            tally.judge(name, lambda p=path: load_config(p), (str(path),))
        else:  # must be refused, naming the file (and the key, when there is one)
            def refused(p: Path = path) -> None:
                load_config(p)
                raise AssertionError("accepted")
            hints = (str(path),) if key is None else (key,)
            tally.judge(name, refused, hints)
            if tally.defects and tally.defects[-1].startswith("tracebacks") and \
                    "AssertionError" in tally.defects[-1]:
                tally.counts["tracebacks"] -= 1
                tally.counts["wrong"] += 1
                tally.defects[-1] = "wrong: " + tally.defects[-1].split(": ", 1)[1] + " (accepted)"
    tally.hand_over(record_property)


def test_instrument_sections(tmp_path, record_property):
    from bridge.instruments import InstrumentsPlugin

    tally = Tally()
    for name, (section, key) in INSTRUMENTS.items():
        path = _config_file(tmp_path, name, f"[instruments.bad]\n{section}".encode())

        def build(p: Path = path) -> None:
            InstrumentsPlugin(load_config(p), _Config(), "sim")
        tally.judge(name, build, (key or "-", "hardpy.toml"))
    tally.hand_over(record_property)


def _store_with_runs(path: Path, cases: int = 300) -> None:
    with Store.open(path) as store:
        recorder = RunRecorder(RunWriter(store, str(uuid.uuid4())))
        recorder.writer.start("audit", "hw", time.time(), {})
        for case in range(cases):
            recorder.begin_case("test_m", "m", f"test_{case}", f"case {case}")
            recorder.case.artifact = {"note": "y" * 300}
            recorder.save_attempt("passed", None, final=True)
        recorder.finish("passed")


def _cli(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse
            code = exc.code if isinstance(exc.code, int) else 2
    return code, out.getvalue(), err.getvalue()


def _digest(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


def test_command_line_and_store_files(tmp_path, record_property, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "120")
    good, damaged = tmp_path / "good.db", tmp_path / "damaged.db"
    _store_with_runs(good)
    damaged.write_bytes(good.read_bytes())
    with damaged.open("r+b") as handle:  # one page of the cases table, overwritten
        handle.seek(2048 * 40)
        handle.write(os.urandom(2048))
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE notes (text)")
    files = {"empty": b"", "garbage": b"not a database at all\n",
             "header only": b"SQLite format 3\x00" + b"\x00" * 84}
    for name, content in files.items():
        (tmp_path / f"{name}.db").write_bytes(content)
    newer = tmp_path / "newer.db"
    newer.write_bytes(good.read_bytes())
    with sqlite3.connect(newer) as conn:
        conn.execute("PRAGMA user_version = 99")
    (tmp_path / "folder.db").mkdir()
    bad_toml = tmp_path / "bad.toml"
    bad_toml.write_bytes(b"\xff\xfe")

    stores = ["damaged", "other", "empty", "garbage", "header only", "newer", "folder",
              "missing"]
    readers = [["runs"], ["runs", "--json"], ["show", "last"], ["export", "last"],
               ["sync", "--status"], ["store", "check"]]
    cases: list[tuple[list[str], tuple[str, ...]]] = []
    for name in stores:
        for reader in readers:
            cases.append((["--store", str(tmp_path / f"{name}.db"), *reader],
                          (f"{name}.db", "damaged")))
    g = ["--store", str(good)]
    cases += [
        ([*g, "runs", "--limit", "99999999999999999999999"], ("--limit",)),
        ([*g, "runs", "--limit", "-1"], ("--limit",)),
        ([*g, "runs", "--limit", "0"], ("--limit",)),
        ([*g, "runs", "--limit", "ten"], ("--limit",)),
        ([*g, "runs", "--since", "yesterday"], ("--since",)),
        ([*g, "runs", "--since", "99999999999999999999w"], ("--since",)),
        ([*g, "runs", "--since", "\ud800"], ("--since",)),
        ([*g, "runs", "--status", "happy"], ("--status",)),
        ([*g, "show", "no-such-run"], ("no-such-run",)),
        ([*g, "show", ""], ("run",)),
        ([*g, "show", "\x1b[2J"], ("run",)),
        ([*g, "export", "last", "-o", str(tmp_path / "folder.db")], ("folder.db",)),
        ([*g, "export", "last", "-o", str(tmp_path / "nowhere" / "x.json")], ("x.json",)),
        ([*g, "store", "recover", str(good)], ("exists",)),
        ([*g, "store", "frobnicate"], ("frobnicate", "action")),
        (["--config", str(bad_toml), "runs"], ("bad.toml",)),
        (["--config", str(tmp_path / "none.toml"), "runs"], ("none.toml",)),
        (["--config", str(tmp_path), "runs"], (str(tmp_path),)),
        (["runs", "--bogus"], ("--bogus",)),
        (["frobnicate"], ("frobnicate",)),
        (["run", "."], ("pytest",)),
    ]
    tally = Tally()
    before = {name: _digest(tmp_path / f"{name}.db") for name in stores}
    for argv, hints in cases:
        def command(argv: list[str] = argv) -> None:
            code, out, err = _cli(argv)
            if code == 0:
                return
            lines = [line for line in (err or out).splitlines() if line.strip()]
            if "Traceback" in err or not lines:
                raise RuntimeError(f"exit {code}, no clear line: {err[-300:]}")
            raise ValueError(lines[0] if "damaged" in lines[0] else lines[-1])  # names it?
        tally.judge(" ".join(argv), command, hints, _accepted_only_if_fine(argv))
    after = {name: _digest(tmp_path / f"{name}.db") for name in stores}
    for name in stores:
        tally.add("accepted" if before[name] == after[name] else "lost",
                  f"{name}.db untouched by readers", "the file changed")
    # The damaged store can be recovered, saying what was lost.
    tally.judge("store recover", lambda: _recovered(damaged, tmp_path / "recovered.db"),
                ("recover",))
    tally.hand_over(record_property)


def _accepted_only_if_fine(argv: list[str]):
    def check(_result: object) -> tuple[str, str]:
        refused_files = ("other.db", "empty.db", "garbage.db", "header only.db", "newer.db",
                         "folder.db", "missing.db", "damaged.db")
        reads_rows = any(word in argv for word in ("show", "export", "check"))
        if any(argv[1].endswith(name) for name in refused_files[:-1]) or (
                argv[1].endswith("damaged.db") and reads_rows):
            return "wrong", "exit 0 on a file that is not a usable store"
        return "accepted", ""
    return check


def _recovered(damaged: Path, target: Path) -> None:
    code, out, err = _cli(["--store", str(damaged), "store", "recover", str(target)])
    assert code == 0, err
    assert "lost:" in out
    code, out, err = _cli(["--store", str(target), "store", "check"])
    assert code == 0 and ": ok;" in out, out + err
