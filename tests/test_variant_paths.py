"""Every variant's code path: `pytest claims/ --scale smoke --variant all` (the nightly's
`pytest tests/ -m variants`).

The variants' verdicts are measured at ci scale (hours cold); this runs every variant's own code at
the smoke scale instead, in 15-20 minutes, and checks what each variant changes, and that the
verdicts pinned for each variant (``ci/<variant>`` keys in claims/) still name a part the claim's
result has under that variant, so a renamed part or a variant that stopped applying is named
plainly, not found as a "finding changed" at the end of a ci sweep. CI leaves it out: it held CI's
tests up by a third (README "Running"). At smoke scale the verdicts mean
nothing (1,000 images, 2 epochs: most arms have not learnt) and nothing is pinned there, so the
child session's claim tests fail on their verdicts; what must not happen is any other error.
"""

from __future__ import annotations

import importlib
import json
import sqlite3
import subprocess
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

from fixtures.claims.claim import Claim
from fixtures.training.data import dataset_sha256
from fixtures.training.models import ModelConfig, as_trained
from fixtures.training.variants import VARIANTS
from tests.test_data import offline_path
from tests.test_reliability import ROOT, child_env, pytest_args

pytestmark = pytest.mark.variants  # 15-20 min: run with -m variants (the nightly's long checks)


def declared_claims() -> dict[str, Claim]:
    """Every Claim object the claims/ modules declare, by id."""
    found = {}
    for path in sorted((ROOT / "claims").glob("test_*.py")):
        module = importlib.import_module(f"claims.{path.stem}")
        found.update({value.id: value for value in vars(module).values() if isinstance(value, Claim)})
    return found


@pytest.fixture(scope="module")
def smoke_session(tmp_path_factory, mnist_path):
    """The child session's (result, evidence, folder); trained once for the module."""
    folder = tmp_path_factory.mktemp("variants")
    env = child_env(BNCLAIMS_MNIST=str(mnist_path), BNCLAIMS_FASHION_MNIST=str(offline_path("fashion-mnist")))
    result = subprocess.run(pytest_args(folder, "--variant", "all", "--junitxml", str(folder / "junit.xml")),
                            cwd=ROOT, capture_output=True, text=True, env=env, timeout=3600)
    evidence = json.loads((folder / "out" / "evidence.json").read_text())
    return result, evidence, folder


def test_the_session_ends_in_verdicts_not_errors(smoke_session):
    result, _, folder = smoke_session
    assert result.returncode in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED), result.stdout[-3000:]
    suite = ElementTree.parse(folder / "junit.xml").getroot().find("testsuite")
    assert suite.get("errors") == "0", result.stdout[-3000:]
    for case in suite.iter("testcase"):
        failure = case.find("failure")
        if failure is not None:  # a claim's verdict at smoke scale, raised by judge(), nothing else
            assert failure.get("message", "").split(":")[0] in ("AssertionError", "fixtures.claims.claim.ClaimNotSupported"), \
                f"{case.get('name')}: {failure.get('message')}"
            assert "(expected " in failure.get("message"), f"{case.get('name')}: {failure.get('message')}"


def test_every_claim_is_judged_under_every_variant(smoke_session):
    _, evidence, folder = smoke_session
    claims = declared_claims()
    assert set(evidence["variants"]) == set(VARIANTS)
    for name, variant in evidence["variants"].items():
        # The papers' mechanism claims are judged under the article's setup only (skipped, with
        # the reason, under the others: tests/test_ics_paths.py).
        empirical = {cid for cid, claim in claims.items() if claim.kind == "empirical"
                     and (claim.family == "article" or name == "article")}
        judged = {o["claim"]["id"] for o in variant["outcomes"]}
        assert empirical <= judged, f"{name}: not judged: {sorted(empirical - judged)}"
        assert (folder / "out" / "variants" / name / "index.html").is_file()


def stored_identities(folder: Path) -> list[dict]:
    with sqlite3.connect(folder / "runs.sqlite") as db:
        return [json.loads(meta) for (meta,) in db.execute("SELECT meta FROM runs")]


def test_each_variant_trains_what_it_changes(smoke_session):
    _, evidence, folder = smoke_session
    variants = evidence["variants"]
    runs = {name: [run for label_runs in v["runs"].values() for run in label_runs] for name, v in variants.items()}
    assert all(runs.values()), {name: len(r) for name, r in runs.items()}
    # bn-before-activation: every net with BN has it before the activation; the article's after.
    for name, position in (("bn-before-activation", "before"), ("article", "after")):
        with_bn = [r["config"] for r in runs[name] if r["config"]["bn_layers"]]
        assert with_bn and all(c.get("bn_position", "after") == position for c in with_bn), name
    # lr-tuned: a rate per network it trains, and its runs train at that rate (L1's checkpointed
    # runs at their network's).
    rates = variants["lr-tuned"]["settings"]["scale"]["variant"]["rates"]
    for run in runs["lr-tuned"]:
        config = as_trained(ModelConfig(**{k: v for k, v in run["config"].items() if k != "learning_rate"}))
        assert ModelConfig(**run["config"]).rate == rates[config.label], config.label
    # resampled-data: its runs' budget says so; the article's do not.
    assert all(r["budget"].get("resample") for r in runs["resampled-data"])
    assert not any(r["budget"].get("resample") for r in runs["article"])
    # fashion-mnist: its runs are stored under the Fashion-MNIST hash.
    hashes = {i["dataset_sha256"] for i in stored_identities(folder)}
    assert hashes == {dataset_sha256("mnist"), dataset_sha256("fashion-mnist")}
    assert variants["fashion-mnist"]["settings"]["scale"]["variant"]["dataset"] == "fashion-mnist"


def part_names(summary: dict, prefix: str = "") -> set[str]:
    """The names of a result's parts at every depth of nesting, alone and as the "outer / inner"
    paths the deciding part is pinned by (fixtures/claims/outcomes.py deciding_part)."""
    names = set()
    for name, part in summary.get("parts", []):
        path = f"{prefix} / {name}" if prefix else name
        names |= {name, path} | part_names(part, path)
    return names


def test_every_pinned_part_exists_under_its_variant(smoke_session):
    """A pin watches a named part (or, when untestable, an arm that must learn); a pin whose
    part no longer exists would pass as a 'finding changed' failure only at ci, after 80 minutes."""
    _, evidence, _ = smoke_session
    outcomes = {(name, o["claim"]["id"]): o for name, v in evidence["variants"].items() for o in v["outcomes"]}
    checked = 0
    for claim in declared_claims().values():
        for key, expectation in claim.expected.items():
            variant = key.split("/", 1)[1] if "/" in key else "article"
            if not expectation.part or (variant, claim.id) not in outcomes:
                continue
            outcome = outcomes[(variant, claim.id)]
            known = part_names(outcome["summary"]) | set(outcome["claim"]["must_learn"])
            assert expectation.part in known, f"{claim.id} pinned at {key} to {expectation.part!r}; parts: {sorted(known)}"
            checked += 1
    assert checked >= 30  # the per-variant pins and the article's, at ci and article scale
