"""``bridge cloud runs | run ID | duts``: what StandCloud holds, as tables or JSON.

Server data is shown through :func:`bridge.cli.text.cell`: never markup, never raw
control characters; tables fit 80 columns by leaving the least needed columns out.
"""

from __future__ import annotations

import argparse
from typing import Any

from bridge.cli.cloud_common import client_for, json_text
from bridge.cli.tables import Col


def _reader(args: argparse.Namespace) -> Any:
    from bridge.cloud.reader import CloudReader

    return CloudReader(client_for(args))


def _table(title: str, rows: list[dict[str, Any]], columns: list[tuple[str, Any]]) -> None:
    """Server data as a table that fits the terminal, each value escaped, never markup."""
    from rich.console import Console

    console = Console(highlight=False)
    console.print(cloud_table(console, title, rows, columns))


def cloud_table(console: Any, title: str, rows: list[dict[str, Any]],
                columns: list[tuple[str, Any]]) -> Any:
    from bridge.cli.tables import fitted_table
    from bridge.cli.text import MAX_IN_TABLE, MAX_SHOWN, cell

    limit = MAX_IN_TABLE if len(columns) > 2 else MAX_SHOWN  # `cloud run ID`: longer values
    cells = [[cell(_value(key, row.get(key)), limit=limit) for key, _ in columns]
             for row in rows]
    return fitted_table(console, [col for _, col in columns], cells, title=title)


def _value(key: str, value: Any) -> str:
    if value is None:
        return ""
    if key == "duration" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{value:.1f} s"
    if isinstance(value, (dict, list)):
        return json_text(value, indent=None)
    return str(value)


def _print_json(data: Any) -> None:
    print(json_text(data))


RUN_COLUMNS = [  # the id that `cloud run` takes, the status and the serial stay whole
    ("test_run_id", Col("run")),
    ("status", Col("status")),
    ("serial_number", Col("serial")),
    ("part_number", Col("part number", keep=2, fold=True)),
    ("start_time", Col("start", keep=1)),
    ("duration", Col("duration", keep=3, justify="right")),
    ("test_stand_name", Col("stand", keep=4, fold=True)),
    ("number_of_attempt", Col("attempt", keep=5, justify="right")),
]
DUT_COLUMNS = [
    ("part_number", Col("part number")),
    ("serial_number", Col("serial")),
    ("last_status", Col("last status")),
    ("last_run_time", Col("last run", keep=1)),
    ("number_of_runs", Col("runs", keep=2, justify="right")),
    ("test_stand_name", Col("stand", keep=3, fold=True)),
]


def run_cloud_runs(args: argparse.Namespace) -> int:
    reader = _reader(args)
    with reader.client:
        runs = reader.runs(
            part_number=args.part_number,
            serial_number=args.serial_number,
            test_stand_name=args.stand_name,
            limit=args.limit,
        )
    if args.json:
        _print_json(runs)
    else:
        _table(f"StandCloud runs ({len(runs)})", runs, RUN_COLUMNS)
    return 0


def run_cloud_run(args: argparse.Namespace) -> int:
    reader = _reader(args)
    with reader.client:
        run = reader.run(args.run_id)
    if args.json:
        _print_json(run)
    else:
        from bridge.cli.text import shown

        rows = [{"key": key, "value": value} for key, value in run.items()]
        _table(f"StandCloud run {shown(args.run_id)}", rows,
               [("key", Col("field")), ("value", Col("value", fold=True))])
    return 0


def run_cloud_duts(args: argparse.Namespace) -> int:
    reader = _reader(args)
    with reader.client:
        duts = reader.duts(test_stand_name=args.stand_name, part_number=args.part_number)
    if args.json:
        _print_json(duts)
    else:
        _table(f"StandCloud tested DUTs ({len(duts)})", duts, DUT_COLUMNS)
    return 0

