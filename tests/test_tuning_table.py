"""``python -m reports tuning``: the lr-tuned rates with each tuning seed's score and own choice.

Planted records whose answers are known by eye: seeds that agree, seeds that disagree (the
spread the table exists to show), a diverged seed, an extended grid at its limit.
"""

from __future__ import annotations

import json

import pytest

from fixtures.execution.tuning import CRITERIA
from reports.__main__ import main
from reports.tuning import seed_choices, tuning_markdown

RATES = [0.01, 0.1, 1.0]


def record(by_seed, rate, extended=(), at_limit=False):
    """A tuning record as the evidence keeps it, the same scores under every criterion."""
    criteria = {c.name: {"best": rate, "mean": [], "by_seed": by_seed} for c in CRITERIA}
    return {"rate": rate, "rates": RATES, "seeds": [1000, 1001], "extended": list(extended),
            "at_limit": at_limit, "updates": 2814, "criteria": criteria}


def evidence(records, several=False):
    part = {"settings": {"scale": {"variant": {"name": "lr-tuned", "tuning": records}}}}
    return {"variants": {"article": {"settings": {"scale": {"variant": {}}}}, "lr-tuned": part}} if several else part


AGREE = record([[0.5, 0.9, 0.7], [0.6, 0.8, 0.7]], 0.1)
SPLIT = record([[0.9, 0.7, 0.6], [0.5, 0.8, 0.6]], 0.1)  # mean picks 0.1; seed 1000 alone 0.01
DIVERGED = record([[0.5, 0.9, None], [0.6, 0.8, 0.95]], 0.1, extended=(1.0,), at_limit=True)


def test_each_seed_alone_and_a_diverged_rate():
    assert seed_choices(AGREE) == [0.1, 0.1]
    assert seed_choices(SPLIT) == [0.01, 0.1]
    assert seed_choices(DIVERGED) == [0.1, 1.0]  # seed 1001 alone would take the rate 1000 diverged at
    assert seed_choices(record([[None] * 3, [0.5, 0.5, 0.5]], 0.01)) == [None, 0.01]  # a tie: the smaller


@pytest.mark.parametrize("several", [False, True], ids=["alone", "among-variants"])
def test_the_table_shows_the_choice_its_scores_and_the_spread(several):
    table = tuning_markdown(evidence({"net-a": AGREE, "net-b": SPLIT, "net-c": DIVERGED}, several))
    assert "| net-a | 2,814 | 0.1 | 0.9000 / 0.8000 | 0.1 / 0.1 |" in table
    assert "| net-b | 2,814 | 0.1 | 0.7000 / 0.8000 | 0.01 / 0.1 |" in table
    assert "| net-c | 2,814 | 0.1 | 0.9000 / 0.8000 | 0.1 / 1 |" in table and "extended to 1; at the limit |" in table
    assert "Tuning seeds 1000, 1001" in table


def test_evidence_without_tuning_is_a_one_line_error(tmp_path, capsys):
    path = tmp_path / "evidence.json"
    path.write_text(json.dumps({"schema": 1, "environment": {}, "outcomes": [], "runs": {},
                                "settings": {"scale": {"variant": {}}}}))
    assert main(["tuning", str(path)]) == 2
    assert "no tuning record" in capsys.readouterr().err
