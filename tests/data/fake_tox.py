"""A stand-in for ``tox`` in tests/test_environments.py: ``fake_tox.py -e NAME -- --report-dir=DIR ...``.

It writes tests/data/evidence.json (or the file FAKE_TOX_EVIDENCE_<NAME> names; for a
confirmation's session, one given ``--seeds``, FAKE_TOX_CONFIRM_<NAME> if set) into DIR as the
environment's evidence and exits FAKE_TOX_EXIT_<NAME> (default 0); an environment named in
FAKE_TOX_FAIL writes nothing and exits 1 after a pip-like error line, as a failed install does.
"""

import os
import shutil
import sys
from pathlib import Path

args = sys.argv[1:]
name = args[args.index("-e") + 1]
report_dir = next(a.split("=", 1)[1] for a in args if a.startswith("--report-dir="))
if name in os.environ.get("FAKE_TOX_FAIL", "").split(","):
    print(f"{name}: install_deps> pip install ...")
    print("ERROR: Could not find a version that satisfies the requirement tf-nightly (from versions: none)")
    sys.exit(1)
source = os.environ.get(f"FAKE_TOX_EVIDENCE_{name.upper()}", str(Path(__file__).with_name("evidence.json")))
if "--seeds" in args:
    source = os.environ.get(f"FAKE_TOX_CONFIRM_{name.upper()}", source)
Path(report_dir).mkdir(parents=True, exist_ok=True)
shutil.copyfile(source, Path(report_dir) / "evidence.json")
print(f"{name}: ran pytest claims/ {' '.join(args[args.index('--') + 1:])}")
sys.exit(int(os.environ.get(f"FAKE_TOX_EXIT_{name.upper()}", "0")))
