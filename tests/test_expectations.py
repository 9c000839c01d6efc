"""``python -m reports.expectations``: every empirical claim's finding is printed as a pin,
supported ones too; arithmetic checks (D5, D6) get none. On planted evidence."""

import json

import pytest

from fixtures.claims.claim import Expectation, band_around
from reports.expectations import main as print_expectations


def outcome(claim_id, verdict, kind="empirical", name="mean test accuracy", difference=0.05, ci=(0.04, 0.06)):
    return {"claim": {"id": claim_id, "english": f"claim {claim_id}", "kind": kind}, "verdict": verdict,
            "expected": "supported", "n_seeds": 3, "unit": "seeds", "untestable": "",
            "deciding_part": {"name": name, "difference": difference, "ci": list(ci)}, "finding_changed": ""}


def evidence_file(tmp_path, outcomes, scale=None):
    """A planted evidence.json of ``outcomes`` at ``scale`` (ci, the article's setup, by default)."""
    evidence = {"schema": 1, "environment": {"date": "2026-11-28T00:00:00"},
                "settings": {"scale": scale or {"name": "ci"}}, "outcomes": outcomes, "runs": {}}
    path = tmp_path / "evidence.json"
    path.write_text(json.dumps(evidence))
    return path


def printed_pins(tmp_path, capsys, outcomes, scale=None) -> dict:
    """Each printed line ("A1: 'ci': Expectation(...),") read back as Python, by claim id."""
    assert print_expectations([str(evidence_file(tmp_path, outcomes, scale))]) == 0
    pins = {}
    for line in capsys.readouterr().out.splitlines():
        claim, source = line.split(": ", 1)
        [(key, pin)] = eval("{" + source + "}", {"Expectation": Expectation, "band_around": band_around}).items()
        pins[claim] = (key, pin)
    return pins


def test_a_supported_empirical_claim_is_pinned_to_its_headline_part(tmp_path, capsys):
    pins = printed_pins(tmp_path, capsys, [outcome("A1", "supported", difference=0.3, ci=(0.25, 0.35))])
    key, pin = pins["A1"]
    assert key == "ci" and (pin.verdict, pin.part, pin.effect) == ("supported", "mean test accuracy", 0.3)
    assert pin.band == pytest.approx((0.15, 0.45), abs=1e-12)  # the CI widened by its width, by hand
    assert pin.band[0] <= pin.effect <= pin.band[1]
    assert pin.reason == ("measured 2026-11-28, 3 seeds: supported, headline part mean test accuracy: "
                          "difference +0.3 (95% CI [+0.25, +0.35])")


def test_an_arithmetic_check_is_not_pinned_whatever_its_verdict(tmp_path, capsys):
    """D5 and D6 hold for any data: no measured finding to pin, beside an empirical one that is."""
    pins = printed_pins(tmp_path, capsys, [outcome("D5", "supported", kind="arithmetic"),
                                           outcome("D6", "refuted", kind="arithmetic"),
                                           outcome("C2", "refuted")])
    assert list(pins) == ["C2"]
    assert pins["C2"][1].verdict == "refuted"


@pytest.mark.parametrize("variant, key", [("fashion-mnist", "ci/fashion-mnist"), ("article", "ci")])
def test_a_one_variant_session_pins_under_its_variant_key(tmp_path, capsys, variant, key):
    """``--variant fashion-mnist`` alone writes no "variants" map; its pins still carry its name."""
    scale = {"name": "ci", "variant": {"name": variant}}
    pins = printed_pins(tmp_path, capsys, [outcome("C1", "refuted")], scale=scale)
    assert pins["C1"][0] == key


def test_write_puts_the_printed_pins_into_the_claims_source(tmp_path, capsys):
    """``--write``: the printed pin, under its variant's key, in the claim's expected dict."""
    claims = tmp_path / "claims"
    claims.mkdir()
    (claims / "test_x.py").write_text('C1 = Claim(\n    id="C1",\n    expected={\n    },\n)\n')
    path = evidence_file(tmp_path, [outcome("C1", "refuted", difference=-0.03, ci=(-0.05, -0.01))],
                         scale={"name": "ci", "variant": {"name": "fashion-mnist"}})
    assert print_expectations([str(path), "--write", "--claims", str(claims)]) == 0
    printed = capsys.readouterr().out.strip()
    assert (claims / "test_x.py").read_text() == (
        'C1 = Claim(\n    id="C1",\n    expected={\n        ' + printed.split(": ", 1)[1] + '\n    },\n)\n')
    assert printed.startswith("C1: 'ci/fashion-mnist': Expectation('refuted'")


def test_write_to_a_claim_it_cannot_find_is_a_usage_error(tmp_path, capsys):
    claims = tmp_path / "claims"
    claims.mkdir()
    path = evidence_file(tmp_path, [outcome("C1", "refuted")])
    assert print_expectations([str(path), "--write", "--claims", str(claims)]) == 2
    assert "nothing written: claim C1" in capsys.readouterr().err
