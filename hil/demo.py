"""`make demo`: the whole simulated stand, end to end, with no hardware and no cloud.

1. a StandCloud simulator on loopback (HTTPS, with the CA it generates);
2. the reference plan in this folder on the simulated instruments (``--stand sim``),
   with ``autosync`` uploading the run when it ends (API-key mode);
3. the stored run (``bridge show last``) and what StandCloud now holds
   (``bridge cloud runs``);
4. the run page and the production page as HTML files (``bridge report``).

The configuration used is ``hil/hardpy.toml`` plus a ``[stand_cloud]`` section,
written to ``.bridge/demo/hardpy.toml`` (or ``$BRIDGE_DEMO_DIR``); the store lands
beside it as ``runs.db``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bridge.cli.main import main as bridge_main
from bridge.cloud.sim.server import SimConfig, SimServer

HIL = Path(__file__).resolve().parent
DEMO = Path(os.environ.get("BRIDGE_DEMO_DIR", HIL.parent / ".bridge" / "demo"))
API_KEY = "demo-api-key"


def step(title: str) -> None:
    print(f"\n== {title}", flush=True)


def main() -> int:
    DEMO.mkdir(parents=True, exist_ok=True)
    with SimServer(SimConfig(https=True, data_dir=DEMO / "standcloud", api_key=API_KEY)) as sim:
        sim.start()
        step(f"StandCloud simulator at {sim.url} (CA: {sim.ca_file})")
        config = DEMO / "hardpy.toml"
        config.write_text(
            (HIL / "hardpy.toml").read_text(encoding="utf-8")
            + '\n[store]\npath = "runs.db"\n'
            + f'\n[stand_cloud]\naddress = "{sim.address}"\nautosync = true\n'
            + f'[bridge.stand_cloud]\nca_file = "{sim.ca_file}"\n',
            encoding="utf-8",
        )
        # the plan's pytest runs as on a stand; the commands run here, as typed
        os.environ.update(HARDPY_SC_API_KEY=API_KEY, BRIDGE_SC_ADDRESS=sim.address)
        step("hil/ on the simulated stand: pytest hil --stand sim")
        plan = subprocess.run([sys.executable, "-m", "pytest", str(HIL), "--stand", "sim",
                               "--bridge-config", str(config), "-p", "no:cacheprovider"],
                              check=False)
        bridge = ["--config", str(config)]
        step("the stored run: bridge show last")
        shown = bridge_main([*bridge, "show", "last"])
        step("what StandCloud holds: bridge cloud runs")
        cloud = bridge_main([*bridge, "cloud", "runs"])
    step("the pages: bridge report last; bridge report --part-number SB-100")
    pages = [bridge_main([*bridge, "report", *args, "-o", str(DEMO / name)])
             for args, name in ((["last"], "run-report.html"),
                                (["--part-number", "SB-100"], "production-SB-100.html"))]
    return plan.returncode or shown or cloud or pages[0] or pages[1]


if __name__ == "__main__":
    sys.exit(main())
