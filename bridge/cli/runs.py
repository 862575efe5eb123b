"""``bridge runs``, ``bridge show RUN``, ``bridge export RUN``: the store from a terminal."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

MAX_LIMIT = 1_000_000
STATUSES = ("run", "passed", "failed", "error", "stopped", "interrupted")
_STYLE = {"passed": "green", "failed": "red", "error": "red", "skipped": "yellow",
          "interrupted": "magenta", "stopped": "magenta", "run": "cyan"}


def register(commands: Any) -> None:
    runs = commands.add_parser("runs", help="table of recent runs")
    runs.add_argument("--part-number", help="only this DUT part number")
    runs.add_argument("--serial", help="only this DUT serial number")
    runs.add_argument("--status", choices=STATUSES, help="only runs with this status")
    runs.add_argument("--since", help="only runs started since: 2h, 3d, or 2026-11-01")
    runs.add_argument("--limit", type=_limit, default=20, help="at most this many (default 20)")
    runs.add_argument("--json", action="store_true", help="JSON lines for scripts")
    runs.set_defaults(func=list_command)

    show = commands.add_parser("show", help="one run: cases, measurements, instruments")
    show.add_argument("run", help="run id, unique prefix of one, or 'last'")
    show.set_defaults(func=show_command)

    export = commands.add_parser("export", help="one run as StandCloud's JSON report")
    export.add_argument("run", help="run id, unique prefix of one, or 'last'")
    export.add_argument("-o", "--output", type=Path, help="write to this file, not stdout")
    export.set_defaults(func=export_command)


def _limit(text: str) -> int:
    """A count argparse can refuse cleanly: SQLite takes no more than 64 bits."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if not 1 <= value <= MAX_LIMIT:
        raise argparse.ArgumentTypeError(f"give 1 to {MAX_LIMIT}, not {text}")
    return value


def _when(timestamp: float | None) -> str:
    return "" if timestamp is None else datetime.fromtimestamp(timestamp).strftime(
        "%Y-%m-%d %H:%M:%S")


def _duration(start: float | None, stop: float | None) -> str:
    return "" if start is None or stop is None else f"{stop - start:.1f} s"


def _status(status: str | None) -> str:
    return f"[{_STYLE.get(status or '', 'white')}]{status}[/]"


def list_command(args: argparse.Namespace) -> int:
    from bridge.cli.main import open_store
    from bridge.store.queries import RunFilter, list_runs, parse_since

    where = RunFilter(args.part_number, args.serial, args.status,
                      parse_since(args.since) if args.since else None, args.limit)
    with open_store(args, read_only=True) as store:
        rows = list_runs(store, where)
    if args.json:
        for row in rows:
            print(json.dumps(row))
        return 0
    from rich.console import Console
    from rich.table import Table

    table = Table("run", "started", "status", "test plan", "stand", "part number",
                  "serial", "cases", "duration", title=f"{len(rows)} run(s)")
    for row in rows:
        table.add_row(row["id"][:8], _when(row["start_time"]), _status(row["status"]),
                      row["name"], row["stand_name"] or "", row["dut_part_number"] or "",
                      row["dut_serial_number"] or "", str(row["cases"]),
                      _duration(row["start_time"], row["stop_time"]))
    Console().print(table)
    return 0


def show_command(args: argparse.Namespace) -> int:
    from rich import box
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Column, Table

    from bridge.cli.main import open_store
    from bridge.store.queries import case_rows, resolve_run

    with open_store(args, read_only=True) as store:
        run_id = resolve_run(store, args.run)
        report = store.report(run_id)
        cases = list(case_rows(store, run_id))
    console = Console()
    stand, dut = report["test_stand"], report["dut"]
    started = report["start_time"]
    console.print(f"[bold]{report['name']}[/]  run {run_id}  {_status(report['status'])}")
    console.print(f"started {_when(started)}  duration "
                  f"{_duration(started, report['stop_time']) or '(running)'}")
    console.print(f"stand {stand['name'] or '-'} ({stand['hw_id']})  DUT part "
                  f"{dut['part_number'] or '-'}  serial {dut['serial_number'] or '-'}")
    if stand["instruments"]:
        table = Table("instrument", "model", "serial", "firmware", "resource",
                      title="instruments")
        for item in stand["instruments"]:
            table.add_row(item["name"] or "", item["part_number"] or "",
                          item["serial_number"] or "", item["revision"] or "",
                          item["comment"] or "")
        console.print(table)
    modules = {module_id: module["name"] for module_id, module in report["modules"].items()}
    table = Table(Column("case", min_width=12), Column("status", no_wrap=True),
                  Column("measurement", min_width=12), Column("value", no_wrap=True),
                  Column("limits", no_wrap=True), Column("verdict", no_wrap=True),
                  title="cases", box=box.SIMPLE_HEAD)
    module_id = None
    for case in cases:
        if case["module_id"] != module_id:
            module_id = case["module_id"]
            table.add_row(f"[bold]{escape(modules.get(module_id, module_id))}[/]")
        status = _status(case["status"])
        if case["attempt"] > 1:
            status += f" (attempt {case['attempt']})"
        first = True
        for m in case["measurements"] or [None]:
            table.add_row(escape(case["name"]) if first else "", status if first else "",
                          *_measurement_cells(m))
            first = False
        if case["assertion_msg"] and case["status"] != "passed":
            table.add_row("", "", f"[dim]{escape(case['assertion_msg'][:200])}[/]")
    console.print(table)
    return 0


def _measurement_cells(m: dict[str, Any] | None) -> tuple[str, str, str, str]:
    if m is None:
        return ("", "", "", "")
    value = f"{m['value']}{' ' + m['unit'] if m['unit'] else ''}"
    if m["operation"] is None:
        limits = ""
    elif m["comparison_value"] is not None:
        limits = f"{m['operation']} {m['comparison_value']}"
    else:
        limits = f"{m['operation']} [{m['lower_limit']}, {m['upper_limit']}]"
    limits = limits.replace("[", r"\[")  # literal brackets, not rich markup
    verdict = {None: "", 1: "[green]pass[/]", 0: "[red]FAIL[/]"}[m["result"]]
    return (m["name"] or "", value, limits, verdict)


def export_command(args: argparse.Namespace) -> int:
    from bridge.cli.main import open_store
    from bridge.store.queries import resolve_run

    with open_store(args, read_only=True) as store:
        report = store.report(resolve_run(store, args.run))
    text = json.dumps(report, indent=2, ensure_ascii=False) + "\n"
    if args.output is None:
        sys.stdout.write(text)
    else:
        args.output.write_text(text, encoding="utf-8")
    return 0
