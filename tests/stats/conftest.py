"""Fixtures of the statistics-engine tests: the Monte Carlo log.

Calibration and power tests record each simulated rate three ways: ``record_property`` (on the
test report), a JSON file in the session's temporary directory, and a table printed at the end
of the session (visible with ``-s``).
"""

from __future__ import annotations

import json

import pytest

from tests.stats.simulate import BASE_SEED


@pytest.fixture(scope="session")
def monte_carlo_log(tmp_path_factory):
    rows: list[dict] = []
    yield rows
    if not rows:
        return
    path = tmp_path_factory.getbasetemp() / "stats_monte_carlo.json"
    path.write_text(json.dumps({"base_seed": BASE_SEED, "rows": rows}, indent=1))
    print(f"\nstatistics engine Monte Carlo (base seed {BASE_SEED}; JSON: {path})")
    print(
        f"{'kind':<12} {'assertion':<12} {'scenario':<46} {'n':>3} {'sims':>7} "
        f"{'supported':>9} {'refuted':>8} {'bounds':>13}"
    )
    for row in sorted(rows, key=lambda r: (r["kind"], r["assertion"], r["scenario"], r["n"])):
        limits = (row["bound"], row["refuted_bound"])
        bounds = "/".join("-" if b is None else f"{b:.4f}" for b in limits)
        print(
            f"{row['kind']:<12} {row['assertion']:<12} {row['scenario']:<46} {row['n']:>3} "
            f"{row['n_sim']:>7} {row['supported_rate']:>9.4f} {row['refuted_rate']:>8.4f} "
            f"{bounds:>13}"
        )


@pytest.fixture
def record_rates(monte_carlo_log, record_property):
    """``record_rates(kind, assertion, scenario, n, verdicts, bound=None, refuted_bound=None)``:
    the supported and refuted rates of simulated ``verdicts`` (one per dataset), logged with
    the bounds they are held to, and returned."""

    def record(kind, assertion, scenario, n, verdicts, bound=None, refuted_bound=None):
        row = {
            "kind": kind,
            "assertion": assertion,
            "scenario": scenario,
            "n": n,
            "n_sim": int(len(verdicts)),
            "supported_rate": float((verdicts == "supported").mean()),
            "refuted_rate": float((verdicts == "refuted").mean()),
            "bound": bound,
            "refuted_bound": refuted_bound,
        }
        monte_carlo_log.append(row)
        record_property(f"{kind}:{assertion}:{scenario}:n{n}", row)
        return row["supported_rate"], row["refuted_rate"]

    return record
