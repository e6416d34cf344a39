"""What the last ``bsbench validate`` found about each metric, kept so every table can say it.

A leaderboard column whose metric failed a reliability check (MetaQuantus's noise
resilience or adversary reactivity, see :mod:`bsbench.grid.validation`) deserves a footnote
wherever it is shown. ``bsbench validate`` writes its rows, with the settings it ran
under, to ``$BSBENCH_CACHE/validation/findings.json``; tables and reports read that
file, say when and on what it was measured, and name the failed checks of the metrics
they show. The file is JSON of a fixed shape; anything else is ignored, never executed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bsbench.core.cache import cache_dir, write_atomic

#: The checks a footnote reports: how a metric behaves, not how a method does.
RELIABILITY_CHECKS = ("(d) noise resilience", "(d) adversary reactivity")


def findings_path() -> Path:
    return cache_dir() / "validation" / "findings.json"


def save_findings(records: Sequence[Mapping[str, Any]], settings: Mapping[str, Any]) -> Path:
    """Keep the rows of one ``bsbench validate`` with the settings it ran under; returns the file."""
    path = findings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "settings": dict(settings),
        "checks": [dict(record) for record in records],
    }
    text = json.dumps(document, indent=2, default=str)
    write_atomic(path, lambda temp: temp.write_text(text))
    return path


def load_findings(path: Path | None = None) -> dict[str, Any] | None:
    """The kept findings, or None when there are none or the file is not of the shape ``save_findings`` writes."""
    path = path or findings_path()
    try:
        document = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(document, dict) or not isinstance(document.get("checks"), list):
        return None
    checks = [c for c in document["checks"] if isinstance(c, dict) and {"check", "subject", "pass", "rule"} <= set(c)]
    settings = document.get("settings") if isinstance(document.get("settings"), dict) else {}
    return {"created": str(document.get("created", "?")), "settings": settings, "checks": checks}


def failed_reliability(findings: Mapping[str, Any] | None, metrics: Iterable[str]) -> list[str]:
    """One footnote line per reliability check failed by a metric in ``metrics``, naming when and how it ran."""
    if not findings:
        return []
    shown = set(metrics)
    failed = [
        c
        for c in findings["checks"]
        if not c["pass"] and str(c["check"]).startswith(RELIABILITY_CHECKS) and c["subject"] in shown
    ]
    if not failed:
        return []
    settings = findings["settings"]
    where = (
        f"bsbench validate of {findings['created']} (model {settings.get('model', '?')}, localised corpus, "
        f"preset {settings.get('metric_preset', '?')})"
    )
    return [f"! {c['subject']} fails {_check_name(c['check'])} in {where}: {c['rule']}" for c in failed]


def _check_name(check: str) -> str:
    return check.removeprefix("(d) ").split(":")[0]
