"""Fail when a module's coverage is below the bar: 95 % per module, 100 % for flows."""

from __future__ import annotations

import json
from pathlib import Path
import sys

DEFAULT_MIN = 95.0
STRICT = {"custom_components/energy_meters/config_flow.py": 100.0}


def main(path: str) -> int:
    """Check the JSON report written by pytest-cov."""
    report = json.loads(Path(path).read_text(encoding="utf-8"))
    failures = []
    for name, data in sorted(report["files"].items()):
        percent = float(data["summary"]["percent_covered"])
        required = STRICT.get(name, DEFAULT_MIN)
        if percent + 1e-9 < required:
            failures.append(f"  {name}: {percent:.1f} % < {required:.0f} %")
    if failures:
        print("coverage gate failed:\n" + "\n".join(failures))
        return 1
    print(f"coverage gate passed ({len(report['files'])} modules)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else ".coverage.json"))
