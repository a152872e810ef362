"""The Outpost pytest plugin: scenarios that run against the simulator, a live cluster, or both (docs/python.md,
"Scenarios with pytest"). It loads by itself for `pytest scenarios`; no `-p` flag.

    PYTHONPATH=build/python /usr/bin/python3 -m pytest scenarios [--outpost-target=sim|live|both]
        [--outpost-seed=N] [--outpost-seeds=N]

Fixtures (each a factory: call it with a topology, it returns a started world and stops it at teardown, even when the
test failed):
  `sim`     a seeded `outpost.Simulation` factory; the seed comes from --outpost-seed, --outpost-seeds sweeps it
  `live`    an `outpost.LiveCluster` factory (real `outpost serve` processes behind the fault proxy)
  `target`  the world of this run of the scenario: a scenario that takes `target` runs once per selected world
            (and once per seed in the simulator); `target.world` is "sim" or "live"
Markers: `spec(*clauses)` (required on every scenario here: the docs/spec.md clauses it checks), `sim_only`,
`live_only` (the other world is skipped, with the reason), `slow` (deselect with `-m "not slow"`).

A failure's first line names the world, the seed and the command that runs that case again; it is the JUnit
`message` attribute. A live cluster of a failed test is kept (its directory is in the failure text).
scenarios/conformance has its own options and fixtures (its conftest.py); nothing here touches them.
"""

from __future__ import annotations

import os
import shlex
import signal
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, List, Optional

import pytest

HERE = Path(__file__).resolve().parent
CONFORMANCE = HERE / "conformance"
WORLDS = ("sim", "live")
_RESULT = pytest.StashKey[dict]()


# --- options and markers ---------------------------------------------------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("outpost", "Outpost scenarios (scenarios/): the simulator and live clusters")
    group.addoption("--outpost-target", choices=("sim", "live", "both"), default="both",
                    help="the worlds scenarios taking `target` run in (default both; live needs the outpost "
                         "executable: $OUTPOST_BIN or build/bin/outpost)")
    group.addoption("--outpost-seed", type=int, default=None, metavar="N",
                    help="the simulator's seed (default $OUTPOST_SEED, else 1); also the live fault proxy's")
    group.addoption("--outpost-seeds", type=int, default=1, metavar="N",
                    help="sweep: run each simulated scenario with N seeds, from --outpost-seed on (default 1)")


def pytest_configure(config: pytest.Config) -> None:
    for line in ("spec(*clauses): the docs/spec.md clauses a test checks (e.g. spec('4.2', '4.3'))",
                 "slow: a scenario that takes longer (live ones mostly); deselect with -m 'not slow'",
                 "sim_only(reason): runs in the simulator only (the live world is skipped with the reason)",
                 "live_only(reason): runs against a live cluster only (the simulator is skipped with the reason)"):
        config.addinivalue_line("markers", line)
    if config.getoption("outpost_seeds") < 1:
        raise pytest.UsageError("--outpost-seeds must be at least 1")
    _base_seed(config)  # a bad seed is one usage error now, not a collection error in every module
    # A SIGTERM (a CI timeout, a killed job) unwinds like Ctrl-C, so live clusters are stopped on the way out.
    if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _interrupt)


def _interrupt(number: int, frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {number}")


def _base_seed(config: pytest.Config) -> int:
    seed = config.getoption("outpost_seed")
    if seed is None:
        text = os.environ.get("OUTPOST_SEED", "1")
        if not text.isdigit():
            raise pytest.UsageError(f"OUTPOST_SEED={text!r} is not a seed: a whole number from 0")
        seed = int(text)
    if seed < 0:
        raise pytest.UsageError("--outpost-seed must not be negative")
    return seed


def _ours(item: pytest.Item) -> bool:
    path = Path(str(item.path)).resolve()
    return HERE in path.parents and CONFORMANCE not in path.parents


def _clauses(item: pytest.Item) -> List[str]:
    clauses: List[str] = []
    for mark in item.iter_markers("spec"):
        clauses.extend(str(clause) for clause in mark.args if str(clause) not in clauses)
    return clauses


def pytest_collection_modifyitems(config: pytest.Config, items: List[pytest.Item]) -> None:
    uncited = [item.nodeid for item in items if _ours(item) and not _clauses(item)]
    if uncited:
        raise pytest.UsageError("scenarios must cite the SPEC clauses they check with @pytest.mark.spec(...): "
                                + ", ".join(uncited))


# --- one case per world (and seed) -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """Which world a scenario runs in, and with which seed (the simulator's; the live proxy's)."""

    world: str
    seed: int

    @property
    def id(self) -> str:
        return f"sim-seed{self.seed}" if self.world == "sim" else "live"


def _live_binary() -> Optional[str]:
    try:
        from outpost.live_processes import find_binary
        return find_binary()
    except Exception:  # noqa: BLE001 - no module or no binary: the live cases say so as their skip reason
        return None


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    wanted = [name for name in ("target", "sim", "live") if name in metafunc.fixturenames]
    if not wanted:
        return
    config = metafunc.config
    selected = config.getoption("outpost_target")
    selected_worlds = WORLDS if selected == "both" else (selected,)
    worlds = WORLDS if "target" in wanted else tuple(world for world in WORLDS if world in wanted)
    definition = metafunc.definition
    base = _base_seed(config)
    cases = []
    for world in worlds:
        marks = []
        other_only = definition.get_closest_marker("live_only" if world == "sim" else "sim_only")
        if other_only is not None:
            reason = other_only.args[0] if other_only.args else f"{other_only.name} scenario"
            marks.append(pytest.mark.skip(reason=f"{other_only.name}: {reason}"))
        elif world not in selected_worlds:
            marks.append(pytest.mark.skip(reason=f"--outpost-target={selected}"))
        elif world == "live" and _live_binary() is None:
            marks.append(pytest.mark.skip(reason="no outpost executable for a live cluster: build the target "
                                                 "`outpost` or set OUTPOST_BIN"))
        seeds = range(base, base + config.getoption("outpost_seeds")) if world == "sim" else [base]
        for seed in seeds:
            case = Case(world, seed)
            cases.append(pytest.param(case, id=case.id, marks=marks))
    metafunc.parametrize("outpost_case", cases, indirect=True)


@pytest.fixture
def outpost_case(request: pytest.FixtureRequest) -> Case:
    return request.param


# --- the worlds ------------------------------------------------------------------------------------------------------


def replay_command(item: pytest.Item, case: Case) -> str:
    """The command that runs this one case again, from the directory pytest was started in."""
    test = os.path.relpath(str(item.path)) + "::" + item.nodeid.split("::", 1)[1]
    environment = [f"{key}={shlex.quote(os.environ[key])}" for key in ("PYTHONPATH", "OUTPOST_BIN")
                   if os.environ.get(key)]
    command = [sys.executable, "-m", "pytest", test, f"--outpost-target={case.world}", f"--outpost-seed={case.seed}"]
    return " ".join(environment + [shlex.join(command)])


class Worlds:
    """The worlds one test started: stopped at teardown; described in its failure text."""

    def __init__(self, item: pytest.Item, case: Case, directory: Path) -> None:
        self.item = item
        self.case = case
        self.directory = directory
        self.started: List[Any] = []
        self.replay = replay_command(item, case)

    def simulation(self, source: Any, **options: Any) -> Any:
        import outpost
        options.setdefault("seed", self.case.seed)
        simulation = outpost.Simulation(source, **options)
        simulation.replay_template = self.replay
        self.started.append(simulation)
        return simulation

    def live(self, source: Any, **options: Any) -> Any:
        import outpost
        options.setdefault("seed", self.case.seed)
        options.setdefault("directory", self.directory / f"live{len(self.started) + 1}")
        options.setdefault("keep", True)  # kept when the test fails; removed at teardown otherwise
        cluster = outpost.LiveCluster(source, **options)
        cluster.replay_template = self.replay
        self.started.append(cluster)
        return cluster

    def describe(self) -> List[str]:
        lines = []
        for world in self.started:
            if hasattr(world, "trace_hash"):
                lines.append(f"simulation seed {world.seed}, trace {world.trace_hash}, t={world.now:.3f}s "
                             f"(virtual)")
            else:
                lines.append(f"live cluster kept in {world.directory} (logs/<node>.log; stop it with "
                             f"`{world.binary} cluster down --dir {world.directory}` if anything survived)")
        return lines

    def broken_invariants(self) -> List[str]:
        """The simulator's invariant violations in the worlds this test ran (docs/simulator.md, "Invariants"), whatever
        the test itself asserted: a scenario passes only if every node also kept SPEC's rules while it ran. Convergence
        is left to the test (some scenarios show on purpose that a cut-off node does not converge)."""
        broken = []
        for world in self.started:
            if hasattr(world, "trace_hash"):
                for violation in world.result().violations:
                    if not violation.startswith("convergence"):
                        broken.append(f"seed {world.seed}: {violation}")
        return broken

    def close(self, failed: bool) -> None:
        import shutil
        for world in reversed(self.started):
            try:
                world.close()
            finally:
                if not failed and hasattr(world, "directory") and not hasattr(world, "trace_hash"):
                    shutil.rmtree(os.path.dirname(world.directory), ignore_errors=True)


@pytest.fixture
def _outpost_worlds(request: pytest.FixtureRequest, outpost_case: Case, tmp_path: Path):
    worlds = Worlds(request.node, outpost_case, tmp_path)
    request.node.stash[_RESULT] = {"worlds": worlds}
    yield worlds
    call = request.node.stash[_RESULT].get("call")
    failed = bool(call is not None and call.failed)
    broken = [] if failed else worlds.broken_invariants()
    worlds.close(failed=failed or bool(broken))
    if broken:
        pytest.fail("invariants broken while the scenario ran:\n" + "\n".join(broken), pytrace=False)


class Target:
    """The world of this run of a scenario: call it with a topology (a Topology, dict or file) for a started
    cluster, a `Simulation` or a `LiveCluster`. `sim_options` go to the Simulation only (`network="simulated"`),
    `live_options` to the LiveCluster only."""

    def __init__(self, worlds: Worlds) -> None:
        self._worlds = worlds
        self.world = worlds.case.world
        self.seed = worlds.case.seed

    @property
    def is_sim(self) -> bool:
        return self.world == "sim"

    @property
    def is_live(self) -> bool:
        return self.world == "live"

    def __call__(self, source: Any, *, sim_options: Optional[dict] = None, live_options: Optional[dict] = None) -> Any:
        if self.is_sim:
            simulation = self._worlds.simulation(source, **(sim_options or {}))
            assert simulation.build(), f"{simulation!r}: not every node became ready within the scenario's warmUp"
            return simulation
        return self._worlds.live(source, **(live_options or {}))

    def __repr__(self) -> str:
        return f"<outpost target {self.world} seed {self.seed}>"


@pytest.fixture
def target(_outpost_worlds: Worlds) -> Target:
    """The scenario's world (see Target)."""
    return Target(_outpost_worlds)


@pytest.fixture
def sim(_outpost_worlds: Worlds) -> Callable[..., Any]:
    """`sim(source, **options)`: an `outpost.Simulation` with this run's seed (--outpost-seed, --outpost-seeds)."""
    return _outpost_worlds.simulation


@pytest.fixture
def live(_outpost_worlds: Worlds) -> Callable[..., Any]:
    """`live(source, **options)`: a started `outpost.LiveCluster`, stopped at teardown even when the test failed."""
    return _outpost_worlds.live


# --- failure text ----------------------------------------------------------------------------------------------------


class _OutpostFailure:
    """A failure whose first line says which world and seed failed and how to run it again (the JUnit `message`),
    followed by the usual report."""

    def __init__(self, header: str, details: List[str], inner: Any) -> None:
        self._header = header
        self._details = details
        self._inner = inner
        crash = getattr(inner, "reprcrash", None)
        message = f"{header} | {crash.message}" if crash is not None else header
        self.reprcrash = type("ReprCrash", (), {"path": getattr(crash, "path", ""),
                                                "lineno": getattr(crash, "lineno", 0), "message": message})()
        self.sections = getattr(inner, "sections", [])

    def toterminal(self, tw: Any) -> None:
        tw.line(self._header, red=True, bold=True)
        for line in self._details:
            tw.line(line)
        if hasattr(self._inner, "toterminal"):
            self._inner.toterminal(tw)
        else:
            tw.line(str(self._inner))

    def __str__(self) -> str:
        import io
        from _pytest._io import TerminalWriter
        buffer = io.StringIO()
        self.toterminal(TerminalWriter(file=buffer))
        return buffer.getvalue().strip()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    state = item.stash.get(_RESULT, None)
    if state is None:
        return
    if report.when == "call":
        state["call"] = report
    if not report.failed:
        return
    worlds: Worlds = state["worlds"]
    case = worlds.case
    clauses = _clauses(item)
    cited = f" (SPEC {', '.join(clauses)})" if clauses else ""
    header = f"outpost {case.world} seed {case.seed}{cited}: replay with {worlds.replay}"
    report.longrepr = _OutpostFailure(header, worlds.describe(), report.longrepr)
