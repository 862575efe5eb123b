"""The simulator's report pages: the run page and the production view, behind a login.

A CI user opens them in a browser to see what reached "StandCloud". The login is the
simulator's own: a bearer token or API key (as the stand API takes), or the user's
login and password by HTTP Basic, which a browser asks for.
"""

from __future__ import annotations

import base64
import binascii
import html
import json
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from bridge.cloud.sim.db import SimDB


def _signed_in(db: SimDB, request: Request) -> bool:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value:
        return db.bearer_login(value.strip()) is not None
    if scheme.lower() == "basic" and value:
        try:
            login, _, password = base64.b64decode(value).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        return db.check_password(login, password)
    return False


def _ask_login() -> Response:
    return Response("sign in to see reports", status_code=401, media_type="text/plain",
                    headers={"WWW-Authenticate": 'Basic realm="StandCloud simulator"'})


# Top-level keys HardPy's client leaves out when they are None.
_DROPPABLE = ("start_time", "stop_time", "user", "batch_serial_number",
              "caused_dut_failure_id", "error_code")


def _whole(body: dict[str, Any], test_run_id: str) -> dict[str, Any]:
    """A stored body as the pages read it: every key present, and the run's own id
    (HardPy sends one report id for every run of a stand)."""
    return {**dict.fromkeys(_DROPPABLE), **body, "id": test_run_id}


def report_routes(db: SimDB) -> list[Route]:
    async def run_page(request: Request) -> Response:
        if not _signed_in(db, request):
            return _ask_login()
        from bridge.pages import render_run

        report = db.report(request.path_params["run_id"])
        if report is None:
            return HTMLResponse("<h1>No such test run</h1>", status_code=404)
        return HTMLResponse(render_run(_whole(report, request.path_params["run_id"])))

    async def production(request: Request) -> Response:
        if not _signed_in(db, request):
            return _ask_login()
        from bridge.pages.from_reports import store_from_reports
        from bridge.pages.production import production_page
        from bridge.pages.production_data import Scope
        from bridge.store.queries import parse_since

        query = request.query_params
        part = query.get("part_number")
        if not part:
            return HTMLResponse("<h1>Give ?part_number=…</h1>", status_code=400)
        try:
            since = parse_since(query["since"]) if query.get("since") else None
        except ValueError as exc:
            return HTMLResponse(f"<h1>{html.escape(str(exc))}</h1>", status_code=400)
        bodies: list[Any] = [_whole(json.loads(row["body"]), row["test_run_id"]) for row in
                             db.execute("SELECT test_run_id, body FROM runs"
                                        " WHERE part_number = ?", (part,))]
        conn = store_from_reports(bodies)
        try:
            page = production_page(conn, Scope(part, since, query.get("stand"),
                                               query.get("test_plan")))
        finally:
            conn.close()
        return HTMLResponse(page)

    return [Route("/reports/run/{run_id}", run_page),
            Route("/reports/production", production)]
