"""The simulator's HTTP surface: OAuth endpoints, the stand API (sign-in page: browser.py).

Fault injection (``Faults``, faults.py) lets tests make the next answers fail in the ways
a real network and a real service do.
"""

from __future__ import annotations

import json
import time
from typing import Any

from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bridge.cloud.sim.browser import SignInPages
from bridge.cloud.sim.db import SimDB
from bridge.cloud.sim.faults import DropConnection, Faults
from bridge.cloud.sim.oauth import FormSnapshot, SimAuthServer
from bridge.cloud.sim.pages import report_routes
from bridge.cloud.sim.received import ReceivedReport, canonical


def _summary(test_run_id: str, report: dict[str, Any], attempt: int) -> dict[str, Any]:
    """A run as StandCloud reads it back."""
    start, stop = report["start_time"], report["stop_time"]
    return {
        "test_run_id": test_run_id,
        "test_plan_name": report["name"],
        "serial_number": report["dut"]["serial_number"],
        "part_number": report["dut"]["part_number"],
        "status": "PASS" if report["status"] == "passed" else "FAIL",
        "number_of_attempt": attempt,
        "start_time": _iso(start),
        "stop_time": _iso(stop),
        "duration": (stop - start) if None not in (start, stop) else None,
        "test_stand_name": report["test_stand"]["name"],
        "test_stand_hw_id": report["test_stand"]["hw_id"],
        "test_run_artifact": report["artifact"],
        "test_stand_info": report["test_stand"]["info"],
        "dut_info": report["dut"]["info"],
    }


def _iso(seconds: int | None) -> str | None:
    if seconds is None:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def _id_of(raw: bytes) -> str | None:
    try:
        body = json.loads(raw)
    except ValueError:
        return None
    return body.get("id") if isinstance(body, dict) else None


def _reason(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"]) or "report"
    return f"{where}: {err['msg']}"


class SimApp:
    """Routes bound to one simulator's database, auth server and fault counters."""

    def __init__(self, db: SimDB, auth: SimAuthServer, faults: Faults, on_shutdown: Any):
        self.db, self.auth, self.faults = db, auth, faults
        self._on_shutdown = on_shutdown
        self.stored = 0
        self.sign_in = SignInPages(db)
        self.closing = False  # shutting down after a fault: drop every upload
        api = "/hardpy/api/v1"
        # what a third-party service reads (HardPy's StandCloudReader in integration
        # mode): the same runs, under the same bearer rules
        integration = "/integration/api/v1"
        self.app = Starlette(
            routes=[
                Route(
                    "/auth/api/oidc/device-authorization",
                    self.device_authorization,
                    methods=["POST"],
                ),
                Route("/auth/api/oidc/token", self.token, methods=["POST"]),
                Route("/auth/api/oidc/revocation", self.revocation, methods=["POST"]),
                Route("/auth/device", self.sign_in.show, methods=["GET"]),
                Route("/auth/device", self.sign_in.submit, methods=["POST"]),
                Route(f"{api}/healthcheck", self.healthcheck),
                Route(f"{api}/test_report", self.test_report, methods=["POST"]),
                Route(f"{api}/test_run", self.test_runs),
                Route(f"{api}/test_run/{{run_id}}", self.test_run),
                Route(f"{api}/tested_dut", self.tested_duts),
                Route(f"{integration}/test_run", self.test_runs),
                Route(f"{integration}/test_run/{{run_id}}", self.test_run),
                Route(f"{integration}/tested_dut", self.tested_duts),
            ]
        )
        self.app.router.routes.extend(report_routes(db))  # the HTML pages (issue 12)

    # -- OAuth ----------------------------------------------------------------------
    async def _snapshot(self, request: Request) -> FormSnapshot:
        form = await request.form()
        data = {k: v for k, v in form.items() if isinstance(v, str)}
        return FormSnapshot(request.method, str(request.url), dict(request.headers), data)

    async def device_authorization(self, request: Request) -> Response:
        snap = await self._snapshot(request)
        return self.auth.create_endpoint_response("device_authorization", snap)

    async def token(self, request: Request) -> Response:
        return self.auth.create_token_response(await self._snapshot(request))

    async def revocation(self, request: Request) -> Response:
        return self.auth.create_endpoint_response("revocation", await self._snapshot(request))

    # -- the stand API ----------------------------------------------------------------
    def _login_of(self, request: Request) -> str | None:
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not value:
            return None
        return self.db.bearer_login(value.strip())

    @staticmethod
    def _unauthorized() -> JSONResponse:
        return JSONResponse(
            {"detail": "missing, expired or revoked token"},
            status_code=401,
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )

    async def _refusal(self, request: Request) -> Response | None:
        """What a read of the stand API gets instead of its answer: 503 when the
        simulator stops during a fault's delay, 401 without a valid login; else None."""
        if not await self.faults.wait_delay():
            return self._stopping()
        if self._login_of(request) is None:
            return self._unauthorized()
        return None

    @staticmethod
    def _stopping() -> JSONResponse:
        return JSONResponse({"detail": "the simulator is stopping"}, status_code=503)

    async def healthcheck(self, request: Request) -> Response:
        if (refused := await self._refusal(request)) is not None:
            return refused
        return JSONResponse({})

    async def test_report(self, request: Request) -> Response:
        if not await self.faults.wait_delay():
            return self._stopping()
        login = self._login_of(request)
        if login is None:
            self.db.log_post(None, "401")
            return self._unauthorized()
        faults = self.faults
        if self.closing:
            return DropConnection(503)
        if faults.report_500:
            faults.report_500 -= 1
            self.db.log_post(None, "500")
            return JSONResponse({"detail": "simulated internal error"}, status_code=500)
        if faults.report_429:
            faults.report_429 -= 1
            self.db.log_post(None, "429")
            return JSONResponse(
                {"detail": "slow down"}, status_code=429, headers={"Retry-After": "0"}
            )
        if faults.malformed:
            faults.malformed -= 1
            self.db.log_post(None, "malformed")
            return Response('{"test_run_id": ', status_code=200, media_type="application/json")
        raw = await request.body()
        try:
            # validated straight from the bytes: pydantic's JSON parser, no dict round trip
            report = ReceivedReport.model_validate_json(raw)
        except ValidationError as exc:
            self.db.log_post(_id_of(raw), "422")
            return JSONResponse({"detail": _reason(exc)}, status_code=422)
        test_run_id, new = self.db.store_report(report, canonical(report), login)
        if new:
            self.stored += 1
            if faults.shutdown_after is not None and self.stored >= faults.shutdown_after:
                faults.shutdown_after = None
                self.closing = True
                self._on_shutdown()
        if faults.drop_after_store:
            faults.drop_after_store -= 1
            return DropConnection()
        return JSONResponse({"test_run_id": test_run_id}, status_code=201)

    def _reports(self, where: str = "", params: tuple = ()) -> list[dict[str, Any]]:
        rows = self.db.execute(
            "SELECT test_run_id, body, (SELECT COUNT(*) FROM runs o"
            " WHERE o.part_number IS r.part_number AND o.serial_number IS r.serial_number"
            " AND (COALESCE(o.start_time, 0), o.received_at)"
            " <= (COALESCE(r.start_time, 0), r.received_at)) AS n"
            f" FROM runs r {where} ORDER BY start_time DESC, received_at DESC",
            params,
        )
        return [_summary(row["test_run_id"], json.loads(row["body"]), row["n"]) for row in rows]

    async def test_runs(self, request: Request) -> Response:
        if (refused := await self._refusal(request)) is not None:
            return refused
        clauses, params = [], []
        columns = {
            "part_number": "part_number",
            "serial_number": "serial_number",
            "test_stand_name": "stand_name",
        }
        for name, column in columns.items():
            if name in request.query_params:
                clauses.append(f"{column} = ?")
                params.append(request.query_params[name])
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        runs = self._reports(where, tuple(params))
        limit = request.query_params.get("limit")
        if limit and limit.isdigit():
            runs = runs[: int(limit)]
        return JSONResponse(runs)

    async def test_run(self, request: Request) -> Response:
        if (refused := await self._refusal(request)) is not None:
            return refused
        runs = self._reports("WHERE test_run_id = ?", (request.path_params["run_id"],))
        if not runs:
            return JSONResponse({"detail": "no such test run"}, status_code=404)
        return JSONResponse(runs[0])

    async def tested_duts(self, request: Request) -> Response:
        if (refused := await self._refusal(request)) is not None:
            return refused
        clauses, params = [], []
        for name, column in (("test_stand_name", "stand_name"), ("part_number", "part_number")):
            if name in request.query_params:
                clauses.append(f"{column} = ?")
                params.append(request.query_params[name])
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = self.db.execute(
            "SELECT part_number, serial_number, COUNT(*) AS runs, MAX(start_time) AS last,"
            " GROUP_CONCAT(DISTINCT stand_name) AS stands,"
            " (SELECT status FROM runs l WHERE l.part_number IS r.part_number AND"
            "  l.serial_number IS r.serial_number ORDER BY start_time DESC, received_at DESC"
            "  LIMIT 1) AS status"
            f" FROM runs r {where} GROUP BY part_number, serial_number ORDER BY last DESC",
            tuple(params),
        )
        return JSONResponse(
            [
                {
                    "part_number": r["part_number"],
                    "serial_number": r["serial_number"],
                    "test_stand_name": r["stands"],
                    "number_of_runs": r["runs"],
                    "last_run_time": _iso(r["last"]),
                    "last_status": "PASS" if r["status"] == "passed" else "FAIL",
                }
                for r in rows
            ]
        )
