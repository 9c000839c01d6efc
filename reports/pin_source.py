"""Write pins into the claims' source: each ``'key': Expectation(...)`` line into its claim's
``expected`` dict, replacing the entry of the same key, so re-pinning after a run is one command
(``python -m reports.expectations EVIDENCE --write``), not a paste by hand.

A claim is found where claims/ assigns it: ``NAME = <call>(...)`` whose call has an ``expected``
dict, as a keyword or a positional argument (``Claim(...)``, ``replace(...)``, ``read_as_smallest``,
``on_article_net``). The claim's id is the call's ``id="..."`` keyword, or else the assigned name,
read without case (``D3S`` is D3s). Entries are one per line, opened on the line after the
dict's brace, as claims/ writes them. The file is parsed with ``ast`` for the places and edited as
text, so every other line, comment and layout stays as written.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

ENTRY_INDENT = " " * 8  # where a dict has no entry yet to copy it from


class PinTargetError(LookupError):
    """A claim whose ``expected`` dict is not found in claims/, or is found twice."""


@dataclass(frozen=True)
class Pin:
    """One expectation to write: the claim's id, its key ("ci/fashion-mnist") and the source
    ``Expectation(...)`` as ``reports.expectations`` prints it."""

    claim: str
    key: str
    source: str

    def line(self, indent: str) -> str:
        return f"{indent}{self.key!r}: {self.source},"


def write_pins(pins: list[Pin], folder: Path) -> list[Path]:
    """Write ``pins`` into the modules of ``folder``; returns the files written. Nothing is
    written unless every pin's claim is found in exactly one place."""
    texts = {path: path.read_text() for path in sorted(folder.glob("*.py"))}
    owners = {path: set(_claim_dicts(text)) for path, text in texts.items()}
    by_file: dict[Path, list[Pin]] = {}
    for pin in pins:
        places = [path for path, ids in owners.items() if pin.claim.lower() in ids]
        if len(places) != 1:
            where = ", ".join(p.name for p in places) or "no module"
            raise PinTargetError(f"claim {pin.claim}: its expected={{...}} dict is in {where} of {folder}")
        by_file.setdefault(places[0], []).append(pin)
    for path, file_pins in by_file.items():
        lines = texts[path].splitlines(keepends=True)
        for pin in file_pins:
            lines = _write_one(lines, pin)
        path.write_text("".join(lines))
    return list(by_file)


def _write_one(lines: list[str], pin: Pin) -> list[str]:
    node = _claim_dicts("".join(lines))[pin.claim.lower()]
    indent = ENTRY_INDENT
    for key, value in zip(node.keys, node.values):
        indent = lines[key.lineno - 1][: key.col_offset]
        if isinstance(key, ast.Constant) and key.value == pin.key:
            return lines[: key.lineno - 1] + [pin.line(indent) + "\n"] + lines[value.end_lineno :]
    # A new key goes first, right after the line that opens the dict.
    return lines[: node.lineno] + [pin.line(indent) + "\n"] + lines[node.lineno :]


def _claim_dicts(text: str) -> dict[str, ast.Dict]:
    """The ``expected`` dict of each claim assigned in ``text``, by lower-case claim id."""
    found: dict[str, ast.Dict] = {}
    for node in ast.parse(text).body:
        if not (isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)
                and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)):
            continue
        call = node.value
        keywords = {k.arg: k.value for k in call.keywords}
        expected = keywords.get("expected") or next((a for a in call.args if isinstance(a, ast.Dict)), None)
        if not isinstance(expected, ast.Dict):
            continue
        named = keywords.get("id")
        cid = named.value if isinstance(named, ast.Constant) else node.targets[0].id
        if cid.lower() in found:
            raise PinTargetError(f"two claims read as {cid!r}: cannot tell where its pins go")
        found[cid.lower()] = expected
    return found
