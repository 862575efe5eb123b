"""``bridge report``: a run, or production over many runs, as one self-contained HTML file."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from bridge.cli import arguments


def register(commands: Any) -> None:
    report = commands.add_parser(
        "report", help="HTML page of a run, or production analytics (--part-number)")
    report.add_argument("run", nargs="?", type=arguments.text, help=arguments.RUN_HELP)
    report.add_argument("--part-number", type=arguments.text,
                        help="production view of this DUT part number")
    report.add_argument("--since", type=arguments.since_time,
                        help="production view: runs started since (7d, 2026-11-01)")
    report.add_argument("--stand", type=arguments.text,
                        help="production view: only this stand name")
    report.add_argument("--test-plan", type=arguments.text,
                        help="production view: only this test plan name")
    report.add_argument("-o", "--output", type=arguments.path,
                        help="write here (default: report-<run>.html or production-<P>.html)")
    # The two views' options exclude each other in ways argparse cannot declare (a
    # positional and an option; three options with one): checked in the command, and
    # a wrong mix is a usage error like any other.
    report.set_defaults(func=report_command, usage_error=report.error)


def report_command(args: argparse.Namespace) -> int:
    from bridge.cli.options import open_store

    if (args.run is None) == (args.part_number is None):
        args.usage_error("give a RUN, or --part-number P for the production view (not both)")
    if args.run is not None and (args.since is not None or args.stand or args.test_plan):
        args.usage_error("--since, --stand and --test-plan belong to the production view "
                         "(--part-number)")
    with open_store(args) as store:
        if args.run is not None:
            from bridge.cli.show import from_stored_run
            from bridge.pages import run_page
            from bridge.store.queries import resolve_run

            run_id = resolve_run(store, args.run)
            html = from_stored_run(store, run_id, run_page)
            default = f"report-{run_id[:8]}.html"
        else:
            from bridge.pages.production import production_page
            from bridge.pages.production_data import Scope
            scope = Scope(args.part_number, args.since, args.stand, args.test_plan)
            html = production_page(store.conn, scope)
            safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in args.part_number)
            default = f"production-{safe}.html"
    output = args.output or Path(default)
    output.write_text(html, encoding="utf-8")
    print(output)
    return 0
