"""A StandCloud simulator: real HTTP(S) on loopback, for CI, tests and offline stands."""

from bridge.cloud.sim.server import DEMO_LOGIN, DEMO_PASSWORD, SimConfig, SimServer

__all__ = ["DEMO_LOGIN", "DEMO_PASSWORD", "SimConfig", "SimServer"]
