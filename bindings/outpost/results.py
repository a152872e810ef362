"""What runs come to: a convergence verdict that says which nodes did not converge and why, a run's result
(violations, metrics, trace hash) and metrics parsed from Prometheus text. Plain data, shared by both worlds."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from . import errors


@dataclass
class NodeDifference:
    """How one node differs from the cloud's content in its scope (or why it could not be read): how many tags
    (``repo:tag@digest``) of the cloud's it lacks (``missing``), holds beyond them (``unexpected``) or holds with
    another digest (``different``); ``unreadable`` says why its content could not be read (empty when it could)."""

    node: str
    missing: int = 0
    unexpected: int = 0
    different: int = 0
    examples: List[str] = field(default_factory=list)  # the first few "repo:tag@digest" of each kind
    unreadable: str = ""
    reasons: List[str] = field(default_factory=list)  # faults that explain it: "its uplink is down (partition)", ...

    def __str__(self) -> str:
        what = (f"unreadable: {self.unreadable}" if self.unreadable else
                f"{self.missing} missing, {self.unexpected} unexpected, {self.different} different")
        reasons = [reason for reason in self.reasons if reason != self.unreadable]
        why = f"; {', '.join(reasons)}" if reasons else ""
        shown = f" (e.g. {', '.join(self.examples[:3])})" if self.examples else ""
        return f"{self.node}: {what}{shown}{why}"


@dataclass
class Convergence:
    """The verdict of ``converge(deadline)``. True in a boolean context when every node holds exactly the cloud's
    content in its scope and every acknowledged push is at the cloud. ``checks`` counts the content checks made;
    ``seed`` and ``replay_command`` say how to run it again; ``raw`` is the world's last report as a dict."""

    converged: bool
    after: Optional[float]                 # virtual seconds from the call to convergence; None if it never came
    checks: int
    nodes: Dict[str, NodeDifference]       # the nodes that did not converge, by name
    lost_pushes: List[str]                 # "node repo:tag@digest" acknowledged but not at the cloud
    seed: Optional[int] = None
    replay_command: str = ""
    raw: Dict[str, Any] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return self.converged

    @property
    def why(self) -> str:
        """One line per node (and lost push) that kept it from converging; empty when it converged."""
        lines = [str(difference) for difference in self.nodes.values()]
        lines += [f"acknowledged push not at the cloud: {lost}" for lost in self.lost_pushes]
        return "\n".join(lines)

    def __str__(self) -> str:
        if self.converged:
            return f"converged after {self.after:.3f}s ({self.checks} checks)"
        return f"not converged after {self.checks} checks:\n{self.why}"

    def check(self) -> "Convergence":
        """Raises :class:`~outpost.errors.NotConverged` (an AssertionError) with the reasons, the seed and the
        replay command unless converged; returns self."""
        if not self.converged:
            seed = f" (seed {self.seed}; replay: {self.replay_command})" if self.seed is not None else ""
            raise errors.NotConverged(f"not converged{seed}:\n{self.why}")
        return self


@dataclass
class Result:
    """A run's result (docs/simulator.md, "The result"): ``ok`` when there is no violation."""

    raw: Dict[str, Any]
    replay_command: str = ""

    @property
    def ok(self) -> bool:
        """True when there is no violation."""
        return not self.violations

    @property
    def violations(self) -> List[str]:
        """Invariant violations, one line each (convergence is judged only once converge() or settle() ran)."""
        return list(self.raw.get("violations", []))

    @property
    def seed(self) -> int:
        """The run's seed."""
        return int(self.raw.get("seed", 0))

    @property
    def trace_hash(self) -> str:
        """The run's trace hash (``Simulation.trace_hash``)."""
        return str(self.raw.get("traceHash", ""))

    @property
    def convergence(self) -> Optional[Dict[str, Any]]:
        """The latest convergence report (the result's ``convergence``); None when none was made."""
        return self.raw.get("convergence")

    @property
    def counts(self) -> Dict[str, Any]:
        """What ran and what it cost: events, eventsPerSecond, build (the world's building: wallSeconds, events),
        eventsPerSecondAfterBuild, requests, syncRounds, workload, virtualTime, traceRecords, engineSeconds,
        faultsApplied."""
        keys = ("events", "eventsPerSecond", "build", "eventsPerSecondAfterBuild", "requests", "syncRounds",
                "workload", "virtualTime", "traceRecords", "engineSeconds")
        out = {key: self.raw[key] for key in keys if key in self.raw}
        out["faultsApplied"] = self.raw.get("faults", {}).get("applied", 0)
        return out

    @property
    def metrics(self) -> Dict[str, Any]:
        """The run's metrics when the world measures them (propagation per depth, throughput per link, bytes,
        retries, faults): the result's ``metrics``; empty otherwise."""
        return dict(self.raw.get("metrics") or {})

    @property
    def invariants(self) -> Dict[str, Any]:
        """The invariant checks' report (what each checked, its violations) when the world runs them."""
        return dict(self.raw.get("invariants") or {})

    def __str__(self) -> str:
        head = f"seed {self.seed}: {'ok' if self.ok else 'VIOLATIONS'} (trace {self.trace_hash})"
        lines = [head] + [f"  {violation}" for violation in self.violations]
        if not self.ok and self.replay_command:
            lines.append(f"  replay: {self.replay_command}")
        return "\n".join(lines)


_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?)\s+(\S+)")


def parse_metrics(text: str) -> Dict[str, float]:
    """Prometheus text exposition as ``{"name{labels}": value}`` (comments skipped)."""
    out: Dict[str, float] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        match = _SAMPLE.match(line)
        if match:
            try:
                out[match.group(1)] = float(match.group(2))
            except ValueError:
                continue
    return out
