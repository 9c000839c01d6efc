"""``reports.pin_source``: pins land in their claim's ``expected`` dict, in each shape claims/
declares claims in, replacing the same key and leaving every other line as written."""

import ast

import pytest

from reports.pin_source import Pin, PinTargetError, _claim_dicts, write_pins
from tests.test_variant_paths import declared_claims, ROOT

PLANTED = '''\
X1 = Claim(
    id="X1",
    # a comment that must survive
    expected={
        'ci': Expectation('refuted', 'old'),
        'article': Expectation('refuted', 'kept'),
    },
)
X1S = read_as_smallest(X1, test="t", expected={
})
X2a = on_net(X2, evaluate, {
    'ci': Expectation('supported', 'old',
                      part='spans two lines'),
})
'''


def entries(text: str, claim: str) -> dict[str, str]:
    """The claim's expected dict as {key: source of its value}."""
    node = _claim_dicts(text)[claim.lower()]
    return {key.value: ast.get_source_segment(text, value) for key, value in zip(node.keys, node.values)}


@pytest.fixture
def claims_dir(tmp_path):
    (tmp_path / "test_planted.py").write_text(PLANTED)
    return tmp_path


def test_pins_replace_their_key_and_add_new_ones_in_every_shape(claims_dir):
    write_pins([Pin("X1", "ci", "Expectation('supported', 'new')"),
                Pin("X1", "ci/fashion-mnist", "Expectation('refuted', 'added')"),
                Pin("X1s", "ci", "Expectation('inconclusive', 'first')"),
                Pin("X2a", "ci", "Expectation('refuted', 'one line now')")], claims_dir)
    text = (claims_dir / "test_planted.py").read_text()
    assert entries(text, "X1") == {"ci/fashion-mnist": "Expectation('refuted', 'added')",
                                   "ci": "Expectation('supported', 'new')",
                                   "article": "Expectation('refuted', 'kept')"}
    assert entries(text, "X1s") == {"ci": "Expectation('inconclusive', 'first')"}
    assert entries(text, "X2a") == {"ci": "Expectation('refuted', 'one line now')"}
    assert "    # a comment that must survive\n" in text
    assert "        'ci': Expectation('supported', 'new'),\n" in text  # the entries' own indent


def test_writing_the_same_pins_again_changes_nothing(claims_dir):
    pins = [Pin("X1", "ci", "Expectation('supported', 'new')"), Pin("X1s", "ci", "Expectation('refuted', 'x')")]
    write_pins(pins, claims_dir)
    once = (claims_dir / "test_planted.py").read_text()
    write_pins(pins, claims_dir)
    assert (claims_dir / "test_planted.py").read_text() == once


def test_a_claim_not_found_writes_nothing_and_names_it(claims_dir):
    with pytest.raises(PinTargetError, match="claim Y9"):
        write_pins([Pin("X1", "ci", "Expectation('supported', 'new')"), Pin("Y9", "ci", "Expectation('refuted', 'x')")],
                   claims_dir)
    assert (claims_dir / "test_planted.py").read_text() == PLANTED


def test_every_claim_in_claims_can_be_pinned():
    """Each claim claims/ declares, whatever builds it (Claim, replace, read_as_smallest,
    on_article_net), has one expected dict the writer finds."""
    found = {cid for path in (ROOT / "claims").glob("*.py") for cid in _claim_dicts(path.read_text())}
    declared = {cid.lower() for cid, claim in declared_claims().items() if claim.kind == "empirical"}
    assert declared <= found, sorted(declared - found)
