"""`bridge sync` of 200 queued runs to the StandCloud simulator vs real HardPy's loader.

The simulator runs in its own process (``bridge cloud-sim --https``), as a real
service would. The runs are realistic: written by the store's own writer, each with
one case of 20 numeric measurements and artifacts on the run, its module and its
case. Ours: ``Uploader`` with one keep-alive client, a few uploads in parallel, every
attempt recorded in the outbox. Baseline: real HardPy 0.25.2's ``StandCloudLoader``
(in the cached venv the compatibility tests build, ``tests/compat/compat_venv.py``)
uploading the same reports as HardPy's ``sc-sync`` does (one loader, a healthcheck,
then ``load()`` per report), verified against the simulator's CA (``python -O``).
Prints runs/s of both and the ratio (goal >= 20x). Without the HardPy venv (no
PyPI) the baseline is skipped, saying so. ``--repeat N``: each side N times against
the same simulator, the best of each compared (a shared machine's other work only
ever slows a run down).

    .venv/bin/python bench/bench_sync.py [--runs 200] [--baseline-runs 100] [--repeat 1]
                                         [--parallel 4] [--private-ca] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import re
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import certifi
import psutil

from bridge.cloud.auth import ApiKeyCredentials
from bridge.cloud.client import StandCloudClient
from bridge.cloud.progress import sync_with_progress
from bridge.cloud.settings import CloudSettings
from bridge.cloud.sync import RetryPolicy, Uploader
from bridge.cloud.urls import Endpoints
from bridge.report import build_report
from bridge.store import Store
from bridge.store.writer import RunWriter

REPO = Path(__file__).resolve().parents[1]
MEASUREMENTS = 20

# Run in the HardPy venv: HardPy's sc-sync loop over the reports in argv[3].
HARDPY_SYNC = """\
import json, sys, time
from hardpy.common.config import ConfigManager
from hardpy.pytest_hardpy.db.schema.v1 import ResultRunStore
from hardpy.pytest_hardpy.result.report_loader.stand_cloud_loader import StandCloudLoader

address, key, path = sys.argv[1:4]
documents = json.loads(open(path).read())
ConfigManager().config.stand_cloud.api_key = key
started = time.perf_counter()
loader = StandCloudLoader(address)
assert loader.healthcheck().status_code == 200
for document in documents:
    response = loader.load(ResultRunStore(**document))
    assert response.status_code == 201, response.text
print(json.dumps({"seconds": time.perf_counter() - started}))
"""


def make_runs(store: Store, count: int) -> list[str]:
    """Finished runs, written and queued as the plugin writes them."""
    ids = []
    now = time.time()
    for n in range(count):
        run_id = str(uuid.uuid4())
        writer = RunWriter(store, run_id)
        writer.start("bench plan", "hw-bench", now, {"timezone": "UTC"})
        measurements = [
            (p, "numeric", f"rail {p}", 5.0 + p / 1000, "V", "gele", None, 4.9, 5.1, None, 1)
            for p in range(MEASUREMENTS)
        ]
        module = {"module_id": "test_power", "position": 0, "name": "Power",
                  "artifact": {"fixture": "F-7", "firmware": "1.4.2"}}
        case = {"module_id": "test_power", "case_id": "test_rails", "attempt": 1,
                "position": 0, "name": "Rails", "status": "passed", "start_time": now,
                "stop_time": now + 1.5, "assertion_msg": None, "msg": None, "chart": None,
                "artifact": {"scope": [round(0.01 * i, 2) for i in range(50)],
                             "log": "rail check: all in range\n" * 4}}
        run_fields = {"stand_name": "Stand A", "dut_part_number": "PN-1",
                      "dut_serial_number": f"SN-{n:05d}",
                      "artifact": {"operator_note": "bench", "lot": "L-42"}}
        writer.save_case(module, case, measurements, run_fields, [])
        writer.finish("passed", now + 2, {}, [])
        ids.append(run_id)
    return ids


def start_simulator(data_dir: Path) -> tuple[subprocess.Popen, str, str, Path]:
    cmd = [sys.executable, "-m", "bridge.cli.main", "cloud-sim", "--port", "0",
           "--data-dir", str(data_dir), "--https"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    text = ""
    for line in proc.stdout:  # type: ignore[union-attr]
        text += line
        if line.startswith("Log in with"):
            break
    url = re.search(r"StandCloud simulator at (\S+)", text).group(1)  # type: ignore[union-attr]
    key = re.search(r"API key: (\S+)", text).group(1)  # type: ignore[union-attr]
    ca = re.search(r'ca_file = "([^"]+)"', text).group(1)  # type: ignore[union-attr]
    return proc, url, key, Path(ca)


def public_like_bundle(ca: Path, folder: Path) -> Path:
    """The public CA bundle plus the simulator's CA: the trust a stand has in production,
    where StandCloud's certificate comes from a public CA (``--private-ca``: only the
    simulator's CA, the cheapest TLS set-up per connection)."""
    bundle = folder / "trust.pem"
    bundle.write_bytes(Path(certifi.where()).read_bytes() + b"\n" + ca.read_bytes())
    return bundle


def _compat_venv() -> Any:
    """tests/compat/compat_venv.py, with tests/ (its fork server) importable."""
    sys.path[:0] = [str(REPO / "tests" / "compat"), str(REPO / "tests")]
    import compat_venv

    return compat_venv


def hardpy_python() -> Path | None:
    """The compat venv's python (built on first use), or None saying why not."""
    try:
        return _compat_venv().ensure_venv()
    except BaseException as exc:  # noqa: BLE001 (pytest.skip/fail are BaseException)
        print(f"HardPy baseline skipped: no venv with hardpy==0.25.2 ({exc})", file=sys.stderr)
        return None


def hardpy_sync(python: Path, store: Store, run_ids: list[str], url: str, key: str,
                ca: Path, folder: Path) -> float:
    """Seconds real HardPy takes to upload these runs' reports."""
    compat_venv = _compat_venv()
    documents = []
    for run_id in run_ids:
        report = build_report(store.conn, run_id)
        report["_id"], report["_rev"] = report.pop("id"), report.pop("rev")
        documents.append(report)
    path = folder / "hardpy-reports.json"
    path.write_text(json.dumps(documents))
    env = compat_venv.clean_env(REQUESTS_CA_BUNDLE=str(ca))
    address = url.split("://", 1)[1]  # HardPy's form of an HTTPS address: host:port
    # a fresh process, as `hardpy sc-sync` is (compat_venv.run would fork a warm one)
    result = subprocess.run([str(python), "-O", "-c", HARDPY_SYNC, address, key, str(path)],
                            cwd=folder, env=env, capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        sys.exit(f"HardPy's loader failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
    return float(json.loads(result.stdout.splitlines()[-1])["seconds"])


class ProfiledUploader(Uploader):
    """An Uploader whose upload threads are profiled too (cProfile sees one thread)."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.profiles: list[cProfile.Profile] = []
        self._profiler = threading.local()

    def _upload(self, run_id: str) -> None:
        profiler = getattr(self._profiler, "profile", None)
        if profiler is None:
            profiler = self._profiler.profile = cProfile.Profile()
            self.profiles.append(profiler)
        profiler.enable()
        try:
            super()._upload(run_id)
        finally:
            profiler.disable()


def our_sync(store: Store, settings: CloudSettings, key: str, parallel: int,
             runs: int, uploader_class: type[Uploader] = Uploader) -> tuple[float, Uploader]:
    started = time.perf_counter()
    with StandCloudClient(settings, ApiKeyCredentials(key), connections=parallel) as client:
        uploader = uploader_class(store, client, parallel=parallel,
                                  policy=RetryPolicy(attempts=3, base=0.1, cap=1.0))
        result = sync_with_progress(uploader)  # as `bridge sync` does
    seconds = time.perf_counter() - started
    assert len(result.uploaded) == runs, result
    return seconds, uploader


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--baseline-runs", type=int, default=100)
    parser.add_argument("--parallel", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=1,
                        help="run each side this many times; compare the best of each")
    parser.add_argument("--private-ca", action="store_true",
                        help="trust only the simulator's CA, not the public bundle too")
    parser.add_argument("--profile", action="store_true",
                        help="cProfile our sync; print the top 25 by cumulative time")
    args = parser.parse_args()
    python = hardpy_python() if args.baseline_runs else None

    with tempfile.TemporaryDirectory(prefix="bench-sync-") as tmp:
        folder = Path(tmp)
        proc, url, key, ca = start_simulator(folder / "sim")
        try:
            if not args.private_ca:
                ca = public_like_bundle(ca, folder)
            settings = CloudSettings(Endpoints.from_address(url), api_key=key, ca_file=ca,
                                     timeout=30)
            store = Store.open(folder / "runs.db")
            simulator = psutil.Process(proc.pid)
            best: tuple[float, float, float] | None = None  # seconds, client CPU, sim CPU
            for _ in range(max(1, args.repeat)):
                make_runs(store, args.runs)
                sim_cpu = sum(simulator.cpu_times()[:2])
                cpu = time.process_time()
                if args.profile:
                    profiler = cProfile.Profile()
                    ours_s, uploader = profiler.runcall(our_sync, store, settings, key,
                                                        args.parallel, args.runs,
                                                        ProfiledUploader)
                    print("== the calling thread (claims, attempts, progress)")
                    pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
                    print("== the upload threads (report, encoding, HTTP); times are wall")
                    workers = pstats.Stats(*uploader.profiles)  # type: ignore[attr-defined]
                    workers.sort_stats("cumulative").print_stats(30)
                else:
                    ours_s, _ = our_sync(store, settings, key, args.parallel, args.runs)
                cpu = time.process_time() - cpu
                sim_cpu = sum(simulator.cpu_times()[:2]) - sim_cpu
                if best is None or ours_s < best[0]:
                    best = (ours_s, cpu, sim_cpu)
            assert best is not None
            ours_s, cpu, sim_cpu = best
            baseline_s = None
            if python is not None:
                for _ in range(max(1, args.repeat)):
                    baseline = make_runs(store, args.baseline_runs)
                    seconds = hardpy_sync(python, store, baseline, url, key, ca, folder)
                    baseline_s = seconds if baseline_s is None else min(baseline_s, seconds)
            store.close()
        finally:
            proc.send_signal(signal.SIGINT)
            proc.wait(15)

    ours_rate = args.runs / ours_s
    figures = {"runs": args.runs, "measurements_per_run": MEASUREMENTS,
               "repeat": args.repeat, "load": [round(x, 2) for x in os.getloadavg()],
               "ours_s": round(ours_s, 2), "ours_runs_per_s": round(ours_rate, 1),
               "ours_client_cpu_ms_per_run": round(1000 * cpu / args.runs, 2),
               "simulator_cpu_ms_per_run": round(1000 * sim_cpu / args.runs, 2),
               "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}
    trust = "the simulator's CA only" if args.private_ca else "public CA bundle + simulator's CA"
    figures["trust"] = trust
    line = (f"sync of {args.runs} runs ({MEASUREMENTS} measurements each) over HTTPS"
            f" (trusting {trust}):"
            f" {ours_rate:.0f} runs/s (ours, {args.parallel} parallel,"
            f" {figures['ours_client_cpu_ms_per_run']} ms client CPU per run,"
            f" {figures['simulator_cpu_ms_per_run']} ms in the simulator)")
    if baseline_s is not None:
        hardpy_rate = args.baseline_runs / baseline_s
        figures.update(baseline_runs=args.baseline_runs, hardpy_s=round(baseline_s, 2),
                       hardpy_runs_per_s=round(hardpy_rate, 1),
                       ratio=round(ours_rate / hardpy_rate, 1), goal_ratio=20)
        line += (f" vs {hardpy_rate:.1f} runs/s (HardPy 0.25.2 StandCloudLoader):"
                 f" {ours_rate / hardpy_rate:.1f}x (goal >= 20x)")
    print(json.dumps(figures))
    print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
