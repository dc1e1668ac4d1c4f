"""Hypothesis settings shared by the fuzz suites: the same cases on every run (CI stays
reproducible), no example database, no per-example deadline (real processes and a real
model set the pace)."""

from __future__ import annotations

from hypothesis import HealthCheck, Phase, settings


def derandomized(max_examples: int) -> settings:
    return settings(
        max_examples=max_examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        # Shrinking re-runs slow cases for minutes; a failing case is reported as found.
        phases=[Phase.explicit, Phase.reuse, Phase.generate],
    )
