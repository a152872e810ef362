"""The conformance report: every test's outcome filed under each SPEC clause it cites.

JSON, keyed by clause (numeric order: "1.4" < "3.4" < "3.6" < "4.1" < "10.1"):

    {"4.2": {"section": "Who is accepted where, and what is answered", "status": "fails",
             "passed": 7, "failed": 1, "skipped": 0,
             "tests": [{"test": "test_conformance_access.py::test_...[line1]", "outcome": "failed",
                        "message": "line1 accepted factory-client: expected 401, got 200"}, ...]}, ...}

`status` is `holds` (at least one check passed, none failed), `fails` (at least one failed or errored) or `unchecked`
(every check skipped: the endpoints file gave nothing to check it with, or the deployment lacks a prerequisite; each
test's `message` says which). An `error` outcome (the check could not run to its end, e.g. its setup push was refused)
counts as failed: the clause was not shown to hold.

A run stopped before any check (the endpoints file's credentials refused, a listed node not answering: conftest.py's
pre-flight) writes `{"stoppedBeforeAnyCheck": "<the message pytest showed>"}` and nothing else: no clause was checked.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

SECTIONS = {
    "1": "Nodes and endpoints",
    "2": "Connected-registry resource",
    "3": "Tokens and scope maps",
    "4": "Who is accepted where, and what is answered",
    "5": "Synchronization",
    "6": "OCI Distribution API",
    "7": "Management API, admin user, connection strings, command line",
}


def clause_key(clause: str) -> tuple[int, ...]:
    return tuple(int(part) for part in clause.split("."))


@dataclasses.dataclass
class Outcome:
    test: str
    clauses: tuple[str, ...]
    outcome: str = "passed"  # passed | failed | skipped | error
    message: str = ""


class ClauseReport:
    def __init__(self) -> None:
        self.outcomes: dict[str, Outcome] = {}  # node id -> outcome, in run order
        self.stopped: str | None = None          # why the run stopped before any check

    def record(self, test: str, clauses: tuple[str, ...], phase: str, outcome: str, message: str) -> None:
        """One phase's result (setup, call, teardown). A failure anywhere wins over a pass; a skip in setup stands."""
        entry = self.outcomes.setdefault(test, Outcome(test, clauses))
        if outcome == "failed":
            entry.outcome = "failed" if phase == "call" else "error"
            entry.message = entry.message or message
        elif outcome == "skipped" and entry.outcome == "passed":
            entry.outcome, entry.message = "skipped", message

    def by_clause(self) -> dict[str, dict]:
        clauses: dict[str, dict] = {}
        for entry in self.outcomes.values():
            for clause in entry.clauses:
                row = clauses.setdefault(clause, {"section": SECTIONS.get(clause.split(".")[0], ""),
                                                  "status": "unchecked", "passed": 0, "failed": 0, "skipped": 0,
                                                  "tests": []})
                counted = "failed" if entry.outcome == "error" else entry.outcome
                row[counted] += 1
                test = {"test": entry.test, "outcome": entry.outcome}
                if entry.message:
                    test["message"] = entry.message
                row["tests"].append(test)
        for row in clauses.values():
            row["status"] = "fails" if row["failed"] else "holds" if row["passed"] else "unchecked"
        return {clause: clauses[clause] for clause in sorted(clauses, key=clause_key)}

    def write(self, path: str | Path) -> None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)   # as pytest's --junitxml does
        written = {"stoppedBeforeAnyCheck": self.stopped} if self.stopped is not None else self.by_clause()
        Path(path).write_text(json.dumps(written, indent=2) + "\n")

    def summary_lines(self) -> list[str]:
        rows = self.by_clause()
        if not rows or self.stopped is not None:
            return []
        lines = [f"{'SPEC':<6} {'status':<10} {'passed':>6} {'failed':>6} {'skipped':>7}  section"]
        for clause, row in rows.items():
            lines.append(f"{clause:<6} {row['status']:<10} {row['passed']:>6} {row['failed']:>6} {row['skipped']:>7}  "
                         f"{row['section']}")
        return lines
