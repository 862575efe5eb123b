"""``bridge show RUN`` and ``bridge export RUN``: one run, for a person (rich, 80 columns
and up), a script (JSON) or StandCloud (its JSON report).

Every stored string (names, serial numbers, units, messages: what a DUT or a plan
wrote) is shown through :func:`bridge.cli.text.cell`, never as rich markup.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from bridge.cli import arguments
from bridge.cli.cells import duration, local_time, status_cell
from bridge.run_summary import limits_text
from bridge.statuses import Status

if TYPE_CHECKING:
    from bridge.store import Store

T = TypeVar("T")


def register(commands: Any) -> None:
    show = commands.add_parser("show", help="one run: cases, measurements, instruments")
    show.add_argument("run", type=arguments.text, help=arguments.RUN_HELP)
    show.add_argument("--json", action="store_true", help="the same as one JSON object")
    show.set_defaults(func=show_command)

    export = commands.add_parser("export", help="one run as StandCloud's JSON report")
    export.add_argument("run", type=arguments.text, help=arguments.RUN_HELP)
    export.add_argument("-o", "--output", type=arguments.path,
                        help="write to this file, not stdout")
    export.set_defaults(func=export_command)


def from_stored_run(store: Store, run_id: str,
                    build: Callable[[sqlite3.Connection, str], T]) -> T:
    """``build(conn, run_id)``: the report, or a page, made from the stored run. A stored
    value that does not parse (JSON text edited by hand) is a StoreError naming the
    run, where main would otherwise print a traceback."""
    from bridge.errors import StoreError

    try:
        return build(store.conn, run_id)
    except ValueError as exc:
        raise StoreError(f"run {run_id} holds a value that cannot be read ({exc}); was the "
                         "store changed outside stand-bridge?", path=store.path) from exc


def _one_run(args: argparse.Namespace, *, with_cases: bool = False
             ) -> tuple[str, dict[str, Any], list[dict[str, Any]]]:
    """The run ``args.run`` names: its id, its report and (``with_cases``) every case
    attempt, read from the store in one go."""
    from bridge.cli.options import open_store
    from bridge.report import build_report
    from bridge.store.queries import case_rows, resolve_run

    with open_store(args, read_only=True) as store:
        run_id = resolve_run(store, args.run)
        report = from_stored_run(store, run_id, build_report)
        cases = list(case_rows(store, run_id)) if with_cases else []
    return run_id, report, cases


def show_command(args: argparse.Namespace) -> int:
    _, report, cases = _one_run(args, with_cases=True)
    if args.json:
        print(json.dumps(run_document(report, cases), indent=2))
        return 0
    from rich.console import Console

    console = Console(highlight=False)
    for renderable in run_view(report, cases):
        console.print(renderable)
    return 0


def export_command(args: argparse.Namespace) -> int:
    run_id, report, _ = _one_run(args)
    if args.output is None:  # \u escapes: stdout is often a terminal, never steer it
        sys.stdout.write(json.dumps(report, indent=2) + "\n")
        return 0
    args.output.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n",
                           encoding="utf-8")
    print(f"run {run_id} written to {args.output.resolve()}")
    return 0


def run_document(report: dict[str, Any], cases: list[dict[str, Any]]) -> dict[str, Any]:
    """What ``show`` shows, as JSON: the run, its stand and DUT, every case attempt."""
    modules = {module_id: module["name"] for module_id, module in report["modules"].items()}
    stand, dut = report["test_stand"], report["dut"]
    return {
        "id": report["id"], "name": report["name"], "status": report["status"],
        "start_time": report["start_time"], "stop_time": report["stop_time"],
        "stand": {"name": stand["name"], "hw_id": stand["hw_id"]},
        "dut": {"part_number": dut["part_number"], "serial_number": dut["serial_number"]},
        "instruments": stand["instruments"],
        "cases": [{
            "module_id": case["module_id"], "module_name": modules.get(case["module_id"]),
            "case_id": case["case_id"], "name": case["name"], "status": case["status"],
            "attempt": case["attempt"], "start_time": case["start_time"],
            "stop_time": case["stop_time"], "assertion_msg": case["assertion_msg"],
            "measurements": [_measurement(m) for m in case["measurements"]],
        } for case in cases],
    }


def _measurement(m: dict[str, Any]) -> dict[str, Any]:
    keys = ("name", "type", "value", "unit", "operation", "comparison_value",
            "lower_limit", "upper_limit")
    return {**{key: m[key] for key in keys},
            "result": None if m["result"] is None else bool(m["result"])}


def run_view(report: dict[str, Any], cases: list[dict[str, Any]]) -> list[Any]:
    """The header lines, the instruments and the cases, ready for ``Console.print``."""
    from rich.padding import Padding
    from rich.text import Text

    from bridge.cli.text import cell

    stand, dut = report["test_stand"], report["dut"]
    started = report["start_time"]
    view: list[Any] = [
        Text.assemble(status_cell(report["status"]), "  ", cell(report["name"], "bold")),
        Text.assemble("run ", cell(report["id"])),
        Text(f"started {local_time(started)}  duration "
             f"{duration(started, report['stop_time']) or '(running)'}"),
        Text.assemble("stand ", cell(stand["name"] or "-"), " (", cell(stand["hw_id"]), ")"),
        Text.assemble("DUT part ", cell(dut["part_number"] or "-"), "  serial ",
                      cell(dut["serial_number"] or "-")),
    ]
    if stand["instruments"]:
        view.append(_instruments_table(stand["instruments"]))
    view.append(cases_table(report, cases))
    messages = [case for case in cases if case["assertion_msg"] and case["status"] != Status.PASSED]
    if messages:
        view.append(Text("failures", style="bold"))
    for case in messages:
        attempt = f" (attempt {case['attempt']})" if case["attempt"] > 1 else ""
        view.append(Padding(Text.assemble(cell(case["name"]), attempt, ": ",
                                          cell(case["assertion_msg"], lines=True)), (0, 0, 0, 2)))
    return view


def _instruments_table(instruments: list[dict[str, Any]]) -> Any:
    from rich import box
    from rich.table import Column, Table

    from bridge.cli.text import cell

    table = Table(Column("instrument", overflow="fold"), Column("model", overflow="fold"),
                  Column("serial", overflow="fold"), Column("firmware", overflow="fold"),
                  Column("resource", overflow="fold"), title="instruments",
                  box=box.SIMPLE_HEAD)
    for item in instruments:
        table.add_row(cell(item["name"]), cell(item["part_number"]), cell(item["serial_number"]),
                      cell(item["revision"]), cell(item["comment"]))
    return table


def cases_table(report: dict[str, Any], cases: list[dict[str, Any]]) -> Any:
    """Cases with their measurements. The status and verdict columns never shrink (a
    failing run at 80 columns used to lose its verdict), nor do values and limits;
    names fold.
    Failure messages follow the table (in a cell they squeezed every other column)."""
    from rich import box
    from rich.table import Column, Table

    from bridge.cli.text import cell

    modules = {module_id: module["name"] for module_id, module in report["modules"].items()}
    table = Table(Column("case", overflow="fold"), Column("status", no_wrap=True),
                  Column("measurement", overflow="fold"), Column("value", no_wrap=True),
                  Column("limits", no_wrap=True), Column("verdict", no_wrap=True),
                  title="cases", box=box.SIMPLE_HEAD, collapse_padding=True, pad_edge=False)
    module_id = None
    for case in cases:
        if case["module_id"] != module_id:
            module_id = case["module_id"]
            table.add_row(cell(modules.get(module_id, module_id), "bold"))
        status = status_cell(case["status"])
        if case["attempt"] > 1:
            status.append(f" (attempt {case['attempt']})")
        first = True
        for m in case["measurements"] or [None]:
            table.add_row(cell(case["name"]) if first else "", status if first else "",
                          *_measurement_cells(m))
            first = False
    return table


def _measurement_cells(m: dict[str, Any] | None) -> tuple[Any, ...]:
    from bridge.cli.text import cell

    if m is None:
        return ("", "", "", "")
    value = cell(f"{m['value']}{' ' + m['unit'] if m['unit'] else ''}")
    verdict = {None: cell(""), 1: cell("pass", "green"), 0: cell("FAIL", "bold red")}
    return (cell(m["name"]), value, cell(limits_text(m)), verdict[m["result"]])
