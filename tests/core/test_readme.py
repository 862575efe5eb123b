"""Every fenced block of README.md runs, as a reader would use it.

Each block runs in a fresh copy of the reference plan (hil/, in sim mode), together with
the earlier file blocks of its README section:

- a block whose first line is ``# PATH`` or ``# file: PATH`` (``# test_board.py``) is that
  file of the plan;
  a ``test_*.py`` file is then run by ``pytest --stand sim`` and must pass;
- any other ``toml`` block is the plan's hardpy.toml: it must load, and when it gives the
  instruments the reference plan uses, that plan runs on it (``-n`` per slot when it has
  ``[slots]``; a block of ``[slots]`` alone extends the section's previous hardpy.toml;
  slots equal to hil/hardpy.toml's are not run again: tests/drivers/test_hil.py runs them);
- an ``sh`` block's lines are commands, each to exit 0, run among its section's files
  (without the reference plan's tests), else in the reference plan after one stored run:
  ``bridge`` as ``python -m bridge``, ``pytest`` with ``--stand sim``, ``sqlite3`` by
  Python's sqlite3; ``1f3a`` stands for the newest run's id prefix.

A block that cannot run here says so where a reader sees it, in its fence:
````` ```sh not-run: why `````. Those stay few.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from plan_support import Plan

from bridge.config import load_config

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
REFERENCE_FIXTURES = {"psu", "dmm", "dut"}  # what hil/test_sample_board.py asks for
MAX_NOT_RUN = 4
FENCE = re.compile(r"^```(\S*)[ \t]*(.*)$")
PATH_LINE = re.compile(r"^#\s*(?:file:\s*)?([\w./-]+\.\w+)\s*$")


@dataclass
class Block:
    line: int  # of the opening fence
    section: str
    language: str
    info: str
    text: str

    @property
    def path(self) -> str | None:
        match = PATH_LINE.match(self.text.splitlines()[0]) if self.text.strip() else None
        return match[1] if match else None

    def __str__(self) -> str:
        return f"README.md:{self.line} ({self.section}, {self.language})"


def readme_blocks() -> list[Block]:
    blocks, section, opened, lines = [], "", None, []
    for number, line in enumerate(README.read_text(encoding="utf-8").splitlines(), 1):
        fence = FENCE.match(line)
        if opened is None and line.startswith("#"):
            section = line.lstrip("#").strip()
        elif opened is None and fence:
            opened, lines = (number, *fence.groups()), []
        elif opened is not None and line.startswith("```"):
            blocks.append(Block(opened[0], section, opened[1], opened[2],
                                "\n".join(lines) + "\n"))
            opened = None
        elif opened is not None:
            lines.append(line)
    assert opened is None, f"README.md:{opened[0]}: fence never closed"
    return blocks


BLOCKS = readme_blocks()
# Blocks starting "# file: NAME" are a worked example that tests/drivers/test_plan_drivers.py
# reads from the README and runs as a whole.
RUNNABLE = [b for b in BLOCKS
            if not b.info.startswith("not-run") and not b.text.startswith("# file: ")]


def sim_copy_of_reference_plan(folder: Path, *, with_its_tests: bool = True) -> Plan:
    skipped = ["demo.py", ".bridge", "__pycache__"] + ([] if with_its_tests else ["test_*.py"])
    shutil.copytree(ROOT / "hil", folder, ignore=shutil.ignore_patterns(*skipped))
    toml = folder / "hardpy.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace('mode = "real"', 'mode = "sim"'),
                    encoding="utf-8")
    return Plan(folder)


def earlier_files_of_section(block: Block) -> list[Block]:
    return [b for b in RUNNABLE
            if b.section == block.section and b.line < block.line and b.path]


def run_pytest(plan: Plan, *args: str) -> subprocess.CompletedProcess[str]:
    result = plan.pytest("--stand", "sim", *args)
    assert result.returncode == 0, f"{result.stdout[-3000:]}\n{result.stderr[-2000:]}"
    return result


def hardpy_toml_of(block: Block) -> str:
    """The block, or, for a block of [slots] alone, the section's hardpy.toml plus it."""
    tables = re.findall(r"^\[([^\]]+)\]", block.text, flags=re.MULTILINE)
    if tables and all(t.startswith("slots.") for t in tables):
        previous = [b for b in RUNNABLE if b.section == block.section and b.line < block.line
                    and b.language == "toml" and not b.path]
        assert previous, f"{block}: a [slots] block needs a hardpy.toml block before it"
        return hardpy_toml_of(previous[-1]) + "\n" + block.text
    return block.text


def run_toml(block: Block, plan: Plan) -> None:
    toml = plan.write("hardpy.toml", hardpy_toml_of(block))
    stand = load_config(toml)
    if not set(stand.model.instruments) >= REFERENCE_FIXTURES:
        return  # no stand to run the reference plan on: loading it is the check
    slots = list(stand.model.slots)
    if slots and stand.model.slots == load_config(ROOT / "hil" / "hardpy.toml").model.slots:
        return  # hil/hardpy.toml's own slots, which tests/drivers/test_hil.py runs (-n 2)
    run_pytest(plan, "test_sample_board.py", *(["-n", str(len(slots))] if slots else []))
    listed = plan.bridge("runs", "--json").stdout.splitlines()
    statuses = [json.loads(line)["status"] for line in listed]
    assert statuses == ["passed"] * max(len(slots), 1), listed


def command(words: list[str], plan: Plan) -> None:
    if "1f3a" in words:
        words = [plan.run_ids()[0][:4] if word == "1f3a" else word for word in words]
    if words[0] == "sqlite3":
        database, sql = words[1:]
        with sqlite3.connect(f"file:{plan.root / database}?mode=ro", uri=True) as conn:
            conn.execute(sql).fetchall()
        return
    if words[0] == "pytest":
        run_pytest(plan, *words[1:])
        return
    assert words[0] == "bridge", f"unknown command {words[0]}: mark the block not-run"
    result = plan.bridge(*words[1:])
    assert result.returncode == 0, f"{shlex.join(words)}: {result.stderr}"


def run_sh(block: Block, plan: Plan) -> None:
    for line in block.text.splitlines():
        words = shlex.split(line, comments=True)
        if words:
            command(words, plan)


@pytest.fixture(scope="module")
def plan_with_a_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The simulated reference plan after one run (copied for each sh block)."""
    plan = sim_copy_of_reference_plan(tmp_path_factory.mktemp("stored") / "plan")
    run_pytest(plan, "test_sample_board.py")
    return plan.root


@pytest.mark.parametrize("block", RUNNABLE, ids=str)
def test_readme_block_runs(block: Block, tmp_path: Path, request: pytest.FixtureRequest):
    files = earlier_files_of_section(block)
    if block.language == "sh" and not block.path and not files:
        plan = Plan(tmp_path / "plan")  # commands about runs: a plan with one stored
        shutil.copytree(request.getfixturevalue("plan_with_a_run"), plan.root, dirs_exist_ok=True)
    else:  # the section's own test files (if any) stand in for the reference plan's
        plan = sim_copy_of_reference_plan(tmp_path / "plan", with_its_tests=not files)
    for earlier in files:
        plan.write(earlier.path, earlier.text)
    if block.path:
        plan.write(block.path, block.text)
        if Path(block.path).name.startswith("test_") and block.path.endswith(".py"):
            run_pytest(plan, block.path)
    elif block.language == "toml":
        run_toml(block, plan)
    elif block.language == "sh":
        run_sh(block, plan)
    else:
        pytest.fail(f"{block}: no way to run it; name its file (# PATH) or mark it not-run")


def test_blocks_that_do_not_run_say_why_and_stay_few():
    not_run = [b for b in BLOCKS if b.info.startswith("not-run")]
    for block in not_run:
        assert re.match(r"not-run: \S", block.info), f"{block}: say why after 'not-run: '"
    assert len(not_run) <= MAX_NOT_RUN, [str(b) for b in not_run]
    assert len(RUNNABLE) >= 8


def test_the_copy_of_the_reference_plan_is_simulated(tmp_path):
    # A README command must never reach for the real stand's addresses from a test.
    plan = sim_copy_of_reference_plan(tmp_path / "plan")
    assert load_config(plan.root / "hardpy.toml").model.stand.mode == "sim"
