"""Sync of 1000 queued runs to the StandCloud simulator vs the naive client.

The simulator runs in its own process (``bridge cloud-sim --https``), as a real
service would. Ours: one keep-alive client, a few uploads in parallel, every attempt
recorded in the outbox. Baseline, in the same script: what HardPy's sync does — for
every report a new client (its TLS set-up, a new TCP + TLS connection) and a
healthcheck before the POST. Prints runs/s of both, the ratio (goal >= 20x) and peak
memory.

Trust: by default both clients trust the public CA bundle (certifi) plus the
simulator's CA, as a stand does against a StandCloud whose certificate comes from a
public CA; a naive client pays for loading that bundle on every report.
``--private-ca`` trusts only the simulator's one CA (the cheapest possible TLS set-up
per client, so the smallest ratio); ``--http`` uses plain HTTP.

    .venv/bin/python bench/bench_sync.py [--runs 1000] [--baseline-runs 100]
                                         [--private-ca | --http] [--parallel 4]
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import certifi
import httpx

from bridge.cloud.auth import ApiKeyCredentials
from bridge.cloud.client import StandCloudClient
from bridge.cloud.settings import CloudSettings
from bridge.cloud.sync import RetryPolicy, Uploader
from bridge.cloud.urls import Endpoints
from bridge.store import Store, outbox


def make_runs(store: Store, count: int) -> list[str]:
    """Finished runs, queued in the outbox as the core queues them."""
    ids = []
    now = time.time()
    with store.write() as conn:
        for n in range(count):
            run_id = str(uuid.uuid4())
            ids.append(run_id)
            conn.execute(
                "INSERT INTO runs (id, name, status, start_time, stop_time, host, pid, hw_id,"
                " stand_name, dut_part_number, dut_serial_number, timezone)"
                " VALUES (?, 'bench plan', 'passed', ?, ?, 'bench', 1, 'hw-bench', 'Stand A',"
                " 'PN-1', ?, 'UTC')",
                (run_id, now, now + 5, f"SN-{n:05d}"),
            )
            conn.execute(
                "INSERT INTO outbox (run_id, state, queued_at) VALUES (?, 'pending', ?)",
                (run_id, now + n * 1e-6),
            )
    return ids


def module_of(cases: int, now: int) -> dict:
    """One module of ``cases`` passed cases with one numeric measurement each."""
    case = {
        "status": "passed",
        "start_time": now,
        "stop_time": now + 1,
        "group": "main",
        "assertion_msg": None,
        "msg": None,
        "chart": None,
        "attempt": 1,
        "artifact": {},
        "measurements": [
            {
                "type": "numeric",
                "name": "rail",
                "value": 5.01,
                "unit": "V",
                "operation": "gele",
                "comparison_value": None,
                "lower_limit": 4.9,
                "upper_limit": 5.1,
                "result": True,
            }
        ],
    }
    return {
        "name": "Power",
        "status": "passed",
        "start_time": now,
        "stop_time": now + cases,
        "group": "main",
        "artifact": {},
        "cases": {f"test_rail_{c}": {"name": f"Rail {c}", **case} for c in range(cases)},
    }


def report_maker(store: Store, cases: int = 10):  # type: ignore[no-untyped-def]
    """The store's report of the run, with a realistic module of test cases added."""
    module = module_of(cases, int(time.time()))

    def report_of(run_id: str) -> dict:
        report = store.report(run_id)
        report["modules"] = {"test_power": module}
        return report

    return report_of


def start_simulator(data_dir: Path, https: bool) -> tuple[subprocess.Popen, str, str, Path | None]:
    cmd = [
        sys.executable,
        "-m",
        "bridge.cli.main",
        "cloud-sim",
        "--port",
        "0",
        "--data-dir",
        str(data_dir),
    ]
    if https:
        cmd.append("--https")
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    text = ""
    for line in proc.stdout:  # type: ignore[union-attr]
        text += line
        if line.startswith("Log in with"):
            break
    url = re.search(r"StandCloud simulator at (\S+)", text).group(1)  # type: ignore[union-attr]
    key = re.search(r"API key: (\S+)", text).group(1)  # type: ignore[union-attr]
    ca = re.search(r'ca_file = "([^"]+)"', text)
    return proc, url, key, Path(ca.group(1)) if ca else None


def public_like_bundle(ca: Path, folder: Path) -> Path:
    """The public CA bundle plus the simulator's CA: the trust a stand has in production,
    where StandCloud's certificate comes from a public CA."""
    bundle = folder / "trust.pem"
    bundle.write_bytes(Path(certifi.where()).read_bytes() + b"\n" + ca.read_bytes())
    return bundle


def naive_sync(store: Store, run_ids: list[str], settings: CloudSettings, key: str) -> None:
    """For every report a new client (its TLS set-up, a new connection) and a
    healthcheck before the POST, as HardPy's sync does."""
    endpoints = settings.endpoints
    headers = {"Authorization": f"Bearer {key}"}
    report_of = report_maker(store)
    for run_id in run_ids:
        report = report_of(run_id)
        with httpx.Client(verify=settings.ssl_verify(), headers=headers, timeout=30) as http:
            http.get(endpoints.healthcheck).raise_for_status()
            response = http.post(endpoints.test_report, json=report)
            assert response.status_code == 201, response.text
        outbox.record_attempt(store, run_id, "uploaded", at=time.time())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--baseline-runs", type=int, default=100)
    parser.add_argument("--parallel", type=int, default=4)
    parser.add_argument("--http", action="store_true", help="plain HTTP instead of HTTPS")
    parser.add_argument(
        "--private-ca",
        action="store_true",
        help="trust only the simulator's CA (cheaper TLS set-up per client)",
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-sync-") as tmp:
        tmp_path = Path(tmp)
        proc, url, key, ca = start_simulator(tmp_path / "sim", https=not args.http)
        try:
            endpoints = Endpoints.from_address(url)
            if ca is not None and not args.private_ca:
                ca = public_like_bundle(ca, tmp_path)
            settings = CloudSettings(endpoints, api_key=key, ca_file=ca, timeout=30)
            store = Store.open(tmp_path / "runs.db")
            ours = make_runs(store, args.runs)
            baseline = make_runs(store, args.baseline_runs)

            rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            started = time.perf_counter()
            with StandCloudClient(
                settings, ApiKeyCredentials(key), connections=args.parallel
            ) as client:
                uploader = Uploader(
                    store,
                    client,
                    parallel=args.parallel,
                    policy=RetryPolicy(attempts=3, base=0.1, cap=1.0),
                )
                result = uploader.sync(ours)
            ours_s = time.perf_counter() - started
            rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            assert len(result.uploaded) == args.runs, result

            started = time.perf_counter()
            naive_sync(store, baseline, settings, key)
            naive_s = time.perf_counter() - started
            store.close()
        finally:
            proc.send_signal(signal.SIGINT)
            proc.wait(15)

    ours_rate = args.runs / ours_s
    naive_rate = args.baseline_runs / naive_s
    scheme = "HTTP" if args.http else "HTTPS" + (" (private CA only)" if args.private_ca else "")
    print(
        json.dumps(
            {
                "transport": scheme,
                "runs": args.runs,
                "ours_s": round(ours_s, 2),
                "ours_runs_per_s": round(ours_rate, 1),
                "baseline_runs": args.baseline_runs,
                "baseline_s": round(naive_s, 2),
                "baseline_runs_per_s": round(naive_rate, 1),
                "ratio": round(ours_rate / naive_rate, 1),
                "goal_ratio": 20,
                "peak_rss_mb": round(rss_after / 1024, 1),
                "rss_growth_during_sync_mb": round((rss_after - rss_before) / 1024, 1),
            }
        )
    )
    print(
        f"sync of {args.runs} runs over {scheme}: {ours_rate:.0f} runs/s (ours, keep-alive,"
        f" {args.parallel} parallel) vs {naive_rate:.1f} runs/s (new connection +"
        f" healthcheck per report): {ours_rate / naive_rate:.1f}x (goal >= 20x);"
        f" peak RSS {rss_after / 1024:.0f} MB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
