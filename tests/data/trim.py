"""Make the report tests' fixtures from a real smoke-scale run (kept small: well under 300 KB).

    python tests/data/trim.py reports/out/benchmark.json
    python tests/data/trim.py reports/out/evidence.json

reads a pytest-benchmark JSON written by ``pytest claims/ --scale smoke --benchmark-json FILE``,
or the ``evidence.json`` of a report folder (``--report-dir``) with its ``benchmarks.json`` beside
it, and writes ``evidence.json`` (the "bnclaims" evidence) and ``benchmarks.json`` (the benchmark
list) beside this file. Floats are rounded to 6 significant digits and the layer histograms are
kept only for the runs the L1 figure draws; everything else is as the suite wrote it.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

HERE = Path(__file__).parent
HISTOGRAM_RUNS = {"sigmoid-bn1-sgd-bs128", "sigmoid-bn0-sgd-bs128"}


def rounded(value):
    if isinstance(value, float):
        return value if value == 0 or not math.isfinite(value) else float(f"{value:.6g}")
    if isinstance(value, list):
        return [rounded(item) for item in value]
    if isinstance(value, dict):
        return {key: rounded(item) for key, item in value.items()}
    return value


def main(path: str) -> None:
    data = json.loads(Path(path).read_text())
    if "bnclaims" not in data:  # a report folder's evidence.json, its benchmarks beside it
        benchmarks = json.loads((Path(path).parent / "benchmarks.json").read_text())["benchmarks"]
        data = {"bnclaims": data, "benchmarks": benchmarks}
    evidence = rounded(data["bnclaims"])
    for label, runs in evidence["runs"].items():
        if label not in HISTOGRAM_RUNS:
            for run in runs:
                for layer in run["extras"].get("layers", []):
                    layer.pop("histogram", None)
    (HERE / "evidence.json").write_text(json.dumps(evidence, sort_keys=True, separators=(",", ":")))
    (HERE / "benchmarks.json").write_text(json.dumps(rounded(data["benchmarks"]), indent=1, sort_keys=True))


if __name__ == "__main__":
    main(sys.argv[1])
