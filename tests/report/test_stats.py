"""Capability, control limits, drift rules and yield against worked examples.

References:
- NIST/SEMATECH e-Handbook of Statistical Methods, §6.3.2.2 "Individuals Control
  Charts" (https://www.itl.nist.gov/div898/handbook/pmc/section3/pmc322.htm): ten
  batches, x̄ = 50.81, MR̄ = 1.8778, UCL = 55.8041, LCL = 45.8159.
- NIST/SEMATECH e-Handbook, §6.1.6 "What is Process Capability?"
  (https://www.itl.nist.gov/div898/handbook/pmc/section1/pmc16.htm): USL = 20, LSL = 8,
  mu = 16, sigma = 2 gives Cp = 1 and Cpk = min(0.667, 1.333) = 0.667.
- Western Electric, *Statistical Quality Control Handbook* (1956), zone rules 1-4, as
  listed in the e-Handbook §6.3.2 ("WECO rules"); Nelson, "The Shewhart Control Chart -
  Tests for Special Causes", J. Quality Technology 16(4), 1984, test 3 (six points in a
  row steadily increasing or decreasing).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

import pytest

from bridge.pages import stats
from bridge.pages.yields import yields

NIST_BATCHES = [49.6, 47.6, 49.9, 51.3, 47.8, 51.2, 52.6, 52.4, 53.6, 52.1]


def test_individuals_chart_limits_match_the_nist_example():
    limits = stats.individuals_limits(NIST_BATCHES)
    assert limits.centre == pytest.approx(50.81)
    assert stats.summary_of(NIST_BATCHES).mr_bar == pytest.approx(1.8778, abs=1e-4)
    assert limits.upper == pytest.approx(55.8041, abs=1e-3)
    assert limits.lower == pytest.approx(45.8159, abs=1e-3)


def test_cpk_matches_the_nist_capability_example():
    assert stats.capability(16, 2, 8, 20) == pytest.approx(0.6667, abs=1e-4)
    # one-sided: only the upper limit counts
    assert stats.capability(16, 2, None, 20) == pytest.approx(0.6667, abs=1e-4)
    assert stats.capability(16, 2, 8, None) == pytest.approx(1.3333, abs=1e-4)
    assert stats.capability(16, 2, None, None) is None


def test_ppk_uses_the_sample_deviation_and_cpk_the_moving_range():
    s = stats.summary_of(NIST_BATCHES)
    assert s.sigma_overall == pytest.approx(statistics.stdev(NIST_BATCHES))
    assert s.sigma_within == pytest.approx(1.8778 / 1.128, abs=1e-4)
    # the sums SQL returns give the same summary as the values themselves
    from_sums = stats.summarize(len(NIST_BATCHES), sum(NIST_BATCHES),
                                sum(v * v for v in NIST_BATCHES), 16.9, 9)
    assert from_sums.sigma_overall == pytest.approx(s.sigma_overall)
    assert from_sums.sigma_within == pytest.approx(s.sigma_within)


UNIT = stats.ControlLimits(centre=0.0, lower=-3.0, upper=3.0, sigma=1.0)


@pytest.mark.parametrize(("values", "rule", "alerted"), [
    ([0.2, -0.3, 3.4], 1, {2}),
    ([2.4, 0.1, 2.2], 2, {2}),
    ([1.4, 1.3, -0.2, 1.1, 1.6], 3, {4}),
    ([0.4, 0.3, 0.6, 0.2, 0.5, 0.1, 0.7, 0.3], 4, {7}),
    ([-0.5, -0.3, -0.1, 0.2, 0.4, 0.9], 5, {5}),
])
def test_each_drift_rule_fires_on_its_textbook_pattern(values, rule, alerted):
    assert stats.drift_rules(values, UNIT)[rule] == alerted


def test_no_rule_fires_on_points_that_cross_the_centre():
    values = [0.5, -0.6, 0.9, -1.2, 0.3, -0.4, 1.5, -0.8, 0.2, -0.1, 0.7, -0.9]
    assert not any(stats.drift_rules(values, UNIT).values())


def test_two_points_beyond_2_sigma_on_opposite_sides_are_not_rule_2():
    assert stats.drift_rules([2.5, -2.5, 0.0], UNIT)[2] == set()


@dataclass
class Run:
    run_id: str
    serial: str | None
    stand: str | None
    status: str
    start: float


def test_first_pass_and_final_yield_per_unit_stand_and_day():
    # A passes; B fails then passes; C fails twice; D passes: FPY 2/4, final 3/4.
    runs = [Run("1", "A", "s1", "passed", 0), Run("2", "B", "s1", "failed", 1),
            Run("3", "C", "s2", "failed", 2), Run("4", "B", "s2", "passed", 3),
            Run("5", "D", "s2", "passed", 86400), Run("6", "C", "s2", "failed", 86401)]
    y = yields(runs, day=lambda t: f"day {int(t // 86400)}")
    assert (y.overall.units, y.overall.first_pass, y.overall.final) == (4, 0.5, 0.75)
    assert (y.by_stand["s1"].first_pass, y.by_stand["s1"].final) == (0.5, 1.0)
    assert (y.by_stand["s2"].first_pass, y.by_stand["s2"].final) == (0.5, 0.5)
    assert (y.by_day["day 0"].units, y.by_day["day 1"].units) == (3, 1)
    assert y.runs_per_unit == {1: 2, 2: 2}
    assert y.most_retested == [("B", 2), ("C", 2)]
