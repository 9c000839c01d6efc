"""A documented defect, shown by a strict xfail that accepts only this exception.

A strict ``xfail`` without ``raises=`` accepts any exception, so a broken helper, a typo or an
engine/array disagreement inside the test would pass as "the known defect". Tests that document
a defect assert it with ``shows_defect`` and mark themselves ``xfail(strict=True,
raises=KnownDefect)``: only the defect's own assertion counts as the expected failure, any other
failure fails the test, and a fixed defect fails it too (strict).
"""

from __future__ import annotations


class KnownDefect(AssertionError):
    """The documented defect showed itself (the assertion the xfail's reason describes)."""


def shows_defect(holds: bool, message: str) -> None:
    """Raise ``KnownDefect(message)`` when ``holds`` is false: the defect is present."""
    if not holds:
        raise KnownDefect(message)
