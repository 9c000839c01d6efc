"""``python -m reports.environments``: the claims across environments, compared with the baseline.

The environments themselves are built by tox (slow, and from the package index); here a fake tox
(tests/data/fake_tox.py) writes a stored evidence file per environment, so what is tested is the
runner's own job: every environment runs even when one fails to build, the matrix flags what
changed against the baseline and nothing else, and the exit status says which case it was.
"""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path

import pytest

from reports import environments
from reports.__main__ import main as reports_main
from reports.environments import changed_against, environment_matrix, main

DATA = Path(__file__).parent / "data"
FAKE_TOX = f"{sys.executable} {DATA / 'fake_tox.py'}"


def evidence() -> dict:
    return json.loads((DATA / "evidence.json").read_text())


def outcome(verdict="supported", name="part", difference=0.5, ci=(0.4, 0.6), kind="empirical") -> dict:
    return {"verdict": verdict, "expected": "supported", "claim": {"id": "A1", "kind": kind},
            "deciding_part": {"name": name, "difference": difference, "ci": list(ci)}}


@pytest.mark.parametrize("changed, expected", [
    (outcome(), ""),
    (outcome(difference=0.65), ""),  # inside the band: the CI widened by its width each side
    (outcome(difference=0.85), "outside"),
    (outcome(verdict="refuted"), "supported -> refuted"),
    (outcome(name="other"), "decided by 'other'"),
    (outcome(difference=2.45, kind="arithmetic"), ""),  # D6's seconds: another build, another speed
])
def test_changed_against_the_baseline(changed, expected):
    text = changed_against(changed, outcome())
    assert (expected in text) if expected else text == ""


def refuted_by_two(deciding: str, p_other: float, other_difference: float = 0.5) -> dict:
    """A refuted outcome of two parts, decided by ``deciding`` at raw p 1e-5, the verdict judged
    at 1e-4 (its decision interval at level 1 - 2 x 0.05 x 1e-5 / 1e-4 = 0.99)."""
    parts = {"a": {"refutation_pvalue": 1e-5, "difference": 0.5},
             "b": {"refutation_pvalue": 1e-5, "difference": 0.5}}
    other = "b" if deciding == "a" else "a"
    parts[other] = {"refutation_pvalue": p_other, "difference": other_difference}
    found = outcome("refuted", deciding)
    found["deciding_part"]["decision_level"] = 0.99
    found["summary"] = {"parts": [[name, part] for name, part in parts.items()]}
    return found


@pytest.mark.parametrize("p_other, difference, expected", [
    (2e-5, 0.5, ""),  # refutes alone (2e-5 <= 0.005): which part decides is noise
    (0.004, 0.55, ""),
    (0.006, 0.5, "decided by 'b'"),  # would not refute alone: the finding moved
    (2e-5, 0.9, "outside"),  # refutes alone, but its own effect left the band
])
def test_another_refuting_part_is_a_change_only_if_the_baseline_part_falls_short(p_other, difference, expected):
    text = changed_against(refuted_by_two("b", p_other, difference), outcome("refuted", "a"))
    assert (expected in text) if expected else text == ""


def test_the_matrix_flags_only_the_claim_that_moved():
    base = evidence()
    moved = copy.deepcopy(base)
    target = next(o for o in moved["outcomes"] if o["verdict"] == "supported")
    target["verdict"] = "refuted"
    moved["environment"]["versions"]["keras"] = "9.9.9"
    matrix = environment_matrix({"pinned": base, "jax": moved})
    flagged = {row["id"]: row["cells"]["jax"]["changed"] for row in matrix["rows"] if row["cells"]["jax"]["changed"]}
    assert flagged == {target["claim"]["id"]: "supported -> refuted"}
    assert matrix["versions"]["jax"]["keras"] == "9.9.9"
    assert all(not row["cells"]["pinned"]["changed"] for row in matrix["rows"])


def raw(verdict: str, raw_verdict: str, difference: float = 0.5) -> dict:
    found = outcome(verdict, difference=difference)
    found["raw_verdict"] = raw_verdict
    return found


@pytest.mark.parametrize("changed, expected", [
    # A smaller Holm family decides what the whole family left open: the same raw verdict, no change.
    (raw("refuted", "refuted"), ""),
    (raw("inconclusive", "supported"), "raw verdict refuted -> supported (Holm families differ)"),
    (raw("refuted", "refuted", difference=0.9), "outside"),  # the effect is still held to its band
])
def test_sessions_of_different_holm_families_compare_raw_verdicts(changed, expected):
    base = raw("inconclusive", "refuted")
    text = changed_against(changed, base, same_family=False)
    assert (expected in text) if expected else text == ""
    # In the same family the decided verdicts are compared, as before.
    assert changed_against(raw("refuted", "refuted"), base) == "inconclusive -> refuted"


def test_a_session_of_fewer_claims_is_compared_on_raw_verdicts_and_says_so():
    base = evidence()
    fewer = copy.deepcopy(base)
    empirical = [o for o in fewer["outcomes"] if o["claim"]["kind"] == "empirical"]
    kept = next(o for o in empirical if o["verdict"] != "untestable")
    fewer["outcomes"] = [o for o in fewer["outcomes"] if o is kept or o not in empirical]
    base_raw = kept["raw_verdict"]
    kept["verdict"] = "refuted" if kept["verdict"] != "refuted" else "supported"  # decided otherwise under a smaller Holm
    matrix = environment_matrix({"pinned": base, "nightly": fewer})
    cell = next(row for row in matrix["rows"] if row["id"] == kept["claim"]["id"])["cells"]["nightly"]
    assert cell["changed"] == "" and matrix["same_family"]["nightly"] is False
    assert "another Holm family than pinned" in environments.matrix_markdown(matrix)
    kept["raw_verdict"] = "refuted" if base_raw != "refuted" else "supported"  # a raw verdict that moved is a change
    matrix = environment_matrix({"pinned": base, "nightly": fewer})
    cell = next(row for row in matrix["rows"] if row["id"] == kept["claim"]["id"])["cells"]["nightly"]
    assert "raw verdict" in cell["changed"]


def run(tmp_path, monkeypatch, *envs, extra=(), **variables) -> int:
    for key, value in variables.items():
        monkeypatch.setenv(key, value)
    return main([*envs, "--dir", str(tmp_path), "--date", "night", "--tox", FAKE_TOX,
                 "--judge", "baseline", *extra, "--", "--scale", "smoke"])


def test_unchanged_environments_exit_zero_and_write_the_report(tmp_path, monkeypatch):
    assert run(tmp_path, monkeypatch, "pinned", "jax") == 0
    out = tmp_path / "night"
    result = json.loads((out / "environments.json").read_text())
    assert [r["name"] for r in result["runs"]] == ["pinned", "jax"]
    assert result["drift"]["jax"]["drifted"] == []
    assert "Environment matrix" in (out / "index.html").read_text()
    assert "--scale smoke" in (out / "jax" / "log.txt").read_text()  # pytest arguments reach tox


def test_environments_run_in_several_commands_share_one_matrix(tmp_path, monkeypatch):
    """A night whose slow environments run in a later command still gets one matrix over all of
    them; what the earlier command ran is shown, not judged again (its own exit judged it)."""
    moved = evidence()
    next(o for o in moved["outcomes"] if o["verdict"] == "supported")["verdict"] = "refuted"
    path = tmp_path / "moved.json"
    path.write_text(json.dumps(moved))
    assert run(tmp_path, monkeypatch, "pinned", "latest", FAKE_TOX_EVIDENCE_LATEST=str(path)) == 1
    monkeypatch.delenv("FAKE_TOX_EVIDENCE_LATEST")
    assert run(tmp_path, monkeypatch, "torch") == 0
    result = json.loads((tmp_path / "night" / "environments.json").read_text())
    assert [(r["name"], r["status"]) for r in result["runs"]] == [("pinned", "earlier"), ("latest", "earlier"),
                                                                  ("torch", "ok")]
    assert result["matrix"]["environments"] == ["pinned", "latest", "torch"]
    assert "latest**: from an earlier run" in (tmp_path / "night" / "environments.md").read_text()


def test_rebuild_judges_the_nights_evidence_again_without_running(tmp_path, monkeypatch, capsys):
    """After a change to the comparison itself, ``--rebuild`` recomputes the matrix and drift
    tables from the folder's evidence (nothing runs) and judges every environment again."""
    moved = evidence()
    next(o for o in moved["outcomes"] if o["verdict"] == "supported")["verdict"] = "refuted"
    path = tmp_path / "moved.json"
    path.write_text(json.dumps(moved))
    assert run(tmp_path, monkeypatch, "pinned", "latest", FAKE_TOX_EVIDENCE_LATEST=str(path)) == 1
    rebuild = ["--rebuild", "--dir", str(tmp_path), "--date", "night", "--tox", "/nonexistent/tox", "--judge", "baseline"]
    assert main(rebuild) == 1  # the moved verdict, judged again; no tox was needed
    result = json.loads((tmp_path / "night" / "environments.json").read_text())
    assert {r["status"] for r in result["runs"]} == {"earlier"}
    monkeypatch.delenv("FAKE_TOX_EVIDENCE_LATEST")
    assert run(tmp_path / "clean", monkeypatch, "pinned", "latest") == 0
    assert main(["--rebuild", "--dir", str(tmp_path / "clean"), "--date", "night", "--judge", "baseline"]) == 0
    assert main(["jax", "--rebuild", "--dir", str(tmp_path)]) == 2
    assert main(["--rebuild", "--dir", str(tmp_path), "--date", "no-such-night"]) == 2
    assert "no night's folder" in capsys.readouterr().err


def test_the_baseline_report_has_the_environments_as_a_section(tmp_path, monkeypatch):
    """The pinned environment's claims report is rebuilt with the matrix and drift tables, its
    links one folder up; `python -m reports build --environments` rebuilds the same section."""
    moved = evidence()
    target = next(o for o in moved["outcomes"] if o["verdict"] == "supported")
    target["verdict"] = "refuted"
    path = tmp_path / "moved.json"
    path.write_text(json.dumps(moved))
    run(tmp_path, monkeypatch, "pinned", "torch", FAKE_TOX_EVIDENCE_TORCH=str(path))
    night = tmp_path / "night"
    page = (night / "pinned" / "index.html").read_text()
    assert 'id="environments"' in page and 'id="summary"' in page  # the claims report, with the section
    assert "supported -&gt; refuted" in page and 'href="../torch/index.html"' in page
    assert "Drift: torch against pinned" in page
    assert not (night / "torch" / "index.html").exists()  # only the baseline's report is rebuilt
    (night / "pinned" / "index.html").unlink()
    assert reports_main(["build", str(night / "pinned" / "evidence.json"),
                         "--environments", str(night / "environments.json")]) == 0
    assert "supported -&gt; refuted" in (night / "pinned" / "index.html").read_text()


def test_a_foreign_environments_file_is_a_one_line_error(tmp_path, capsys):
    (tmp_path / "e.json").write_text("{}")
    assert reports_main(["build", str(DATA / "evidence.json"), "--out", str(tmp_path),
                         "--environments", str(tmp_path / "e.json")]) == 2
    assert "not an environments.json" in capsys.readouterr().err


def test_a_changed_finding_exits_one(tmp_path, monkeypatch):
    moved = evidence()
    next(o for o in moved["outcomes"] if o["verdict"] == "supported")["verdict"] = "refuted"
    path = tmp_path / "moved.json"
    path.write_text(json.dumps(moved))
    assert run(tmp_path, monkeypatch, "pinned", "torch", FAKE_TOX_EVIDENCE_TORCH=str(path)) == 1


def test_drifted_numbers_exit_one(tmp_path, monkeypatch):
    moved = evidence()
    for runs in moved["runs"].values():
        for r in runs:
            r["test_accuracy"] = [a + 0.05 for a in r["test_accuracy"]]  # a shift much larger than its spread
    path = tmp_path / "moved.json"
    path.write_text(json.dumps(moved))
    assert run(tmp_path, monkeypatch, "pinned", "latest", FAKE_TOX_EVIDENCE_LATEST=str(path)) == 1
    result = json.loads((tmp_path / "night" / "environments.json").read_text())
    assert result["drift"]["latest"]["drifted"]


def test_a_failed_environment_is_named_and_the_others_still_run(tmp_path, monkeypatch, capsys):
    status = run(tmp_path, monkeypatch, "pinned", "nightly", "jax", FAKE_TOX_FAIL="nightly")
    assert status == 3
    err = capsys.readouterr().err
    assert "nightly could not be built or run" in err and "Could not find a version" in err
    result = json.loads((tmp_path / "night" / "environments.json").read_text())
    assert {r["name"]: r["status"] for r in result["runs"]} == {"pinned": "ok", "nightly": "failed", "jax": "ok"}
    assert "jax" in result["drift"]


def test_claims_not_as_expected_fail_unless_judged_against_the_baseline_only(tmp_path, monkeypatch):
    monkeypatch.setenv("FAKE_TOX_EXIT_JAX", "1")
    assert run(tmp_path, monkeypatch, "pinned", "jax") == 0
    assert main(["pinned", "jax", "--dir", str(tmp_path), "--date", "n2", "--tox", FAKE_TOX]) == 1


def test_judge_none_reports_changes_but_fails_only_on_a_failed_environment(tmp_path, monkeypatch):
    moved = evidence()
    next(o for o in moved["outcomes"] if o["verdict"] == "supported")["verdict"] = "refuted"
    path = tmp_path / "moved.json"
    path.write_text(json.dumps(moved))
    monkeypatch.setenv("FAKE_TOX_EVIDENCE_TORCH", str(path))
    common = ["--dir", str(tmp_path), "--tox", FAKE_TOX, "--judge", "none"]
    assert main(["pinned", "torch", "--date", "a", *common]) == 0
    assert "changed" in (tmp_path / "a" / "environments.md").read_text()
    monkeypatch.setenv("FAKE_TOX_FAIL", "torch")
    assert main(["pinned", "torch", "--date", "b", *common]) == 3


def test_an_unknown_environment_is_one_line_and_exit_two(tmp_path, capsys):
    assert main(["jaxx", "--dir", str(tmp_path)]) == 2
    assert capsys.readouterr().err.strip() == (
        "environments: unknown environment 'jaxx'; choose from " + ", ".join(environments.ENVIRONMENTS))


def test_a_missing_tox_is_a_failed_environment(tmp_path, capsys):
    assert main(["pinned", "--dir", str(tmp_path), "--tox", "/nonexistent/tox"]) == 3
    assert "cannot start /nonexistent/tox" in capsys.readouterr().err


def test_pinned_here_runs_the_baseline_in_this_python(tmp_path, monkeypatch):
    """--pinned-here: pytest claims/ in this interpreter for pinned, tox for the others."""
    calls = []

    def fake_run(name, out, pytest_args, tox):
        calls.append((name, tox))
        return environments.EnvironmentRun(name, "failed", 1, 0.0, None, "not run")

    monkeypatch.setattr(environments, "run_environment", fake_run)
    main(["pinned", "jax", "--dir", str(tmp_path), "--pinned-here", "--tox", "mytox"])
    assert calls == [("pinned", None), ("jax", ["mytox"])]
