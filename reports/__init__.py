"""The HTML evidence report of bn-claims, rendered from the stored evidence JSON.

``build_report(evidence, out_dir)`` writes ``out_dir/index.html``; ``load_evidence(path)`` reads an
evidence.json or a pytest-benchmark JSON that carries the evidence under ``"bnclaims"``. The same
renderer serves the end of ``pytest claims/`` and ``python -m reports build``.

Modules: ``build`` (loading, the page), ``figures`` (matplotlib to inline SVG), ``compare`` (what
changed since a previous run), ``metrics`` (per-run numbers recomputed from the runs),
``formatting`` (how numbers read).
"""

from reports.build import EvidenceError, build_report, load_evidence, render
from reports.compare import compare

__all__ = ["EvidenceError", "build_report", "compare", "load_evidence", "render"]
