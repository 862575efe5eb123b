"""``bridge runs``: the runs in the store, as a table or JSON lines.

One run (``show``, ``export``) is :mod:`bridge.cli.show`'s; every stored string reaches
the terminal through :mod:`bridge.cli.text`.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from bridge.cli import arguments
from bridge.cli.cells import duration, local_time, status_cell
from bridge.cli.tables import Col
from bridge.statuses import Status

# A run's statuses, as `bridge runs --status` takes them (a run is never skipped).
STATUSES = tuple(s.value for s in (Status.RUN, Status.PASSED, Status.FAILED, Status.ERROR,
                                   Status.STOPPED, Status.INTERRUPTED))
ID_SHOWN = 8  # characters of a run id in tables: a prefix `bridge show` accepts


def register(commands: Any) -> None:
    runs = commands.add_parser("runs", help="table of recent runs")
    runs.add_argument("--part-number", type=arguments.text, help="only this DUT part number")
    runs.add_argument("--serial-number", type=arguments.text, dest="serial_number",
                      metavar="SERIAL_NUMBER", help="only this DUT serial number")
    runs.add_argument("--serial", type=arguments.text, dest="serial_number",
                      help=argparse.SUPPRESS)  # older name
    runs.add_argument("--status", choices=STATUSES, help="only runs with this status")
    runs.add_argument("--since", type=arguments.since_time,
                      help="only runs started since: 2h, 3d, or 2026-11-01")
    runs.add_argument("--limit", type=arguments.limit, default=20,
                      help="at most this many (default 20)")
    runs.add_argument("--json", action="store_true", help="JSON lines for scripts")
    runs.set_defaults(func=list_command)


RUN_COLUMNS = [Col("run"), Col("started", keep=1), Col("status"), Col("serial"),
               Col("part number", keep=2, fold=True), Col("cases", keep=3, justify="right"),
               Col("duration", keep=4, justify="right"), Col("stand", keep=5, fold=True),
               Col("test plan", keep=6, fold=True)]


def runs_table(console: Any, rows: list[dict[str, Any]]) -> Any:
    """The runs as a table that fits ``console``: the id prefix that ``show`` takes, the
    status and the serial number stay whole; the test plan and the stand give way first."""
    from bridge.cli.tables import fitted_table
    from bridge.cli.text import MAX_IN_TABLE, cell

    def short(value: Any) -> Any:
        return cell(value, limit=MAX_IN_TABLE)

    cells = [[cell(row["id"][:ID_SHOWN]), local_time(row["start_time"])[:-3],
              status_cell(row["status"]), short(row["dut_serial_number"]),
              short(row["dut_part_number"]), str(row["cases"]),
              duration(row["start_time"], row["stop_time"]), short(row["stand_name"]),
              short(row["name"])] for row in rows]
    return fitted_table(console, RUN_COLUMNS, cells, title=f"{len(rows)} run(s)")


def list_command(args: argparse.Namespace) -> int:
    from bridge.cli.options import open_store
    from bridge.store.queries import RunFilter, list_runs

    where = RunFilter(args.part_number, args.serial_number, args.status, args.since,
                      args.limit)
    with open_store(args, read_only=True) as store:
        rows = list_runs(store, where)
    if args.json:
        for row in rows:
            print(json.dumps(row))
        return 0
    from rich.console import Console

    console = Console()
    console.print(runs_table(console, rows))
    return 0
