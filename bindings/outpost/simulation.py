"""``outpost.Simulation``: the shared vocabulary (:mod:`outpost.cluster`) on the deterministic simulator. Real
registry nodes run in one process on an event loop in virtual time; every random draw derives from the seed, so a
seed and the same calls replay exactly, and :attr:`Simulation.trace_hash` says so.
"""

from __future__ import annotations

import json
import os
import shlex
import time
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

from . import _outpost
from .cluster import CLOUD, Cluster
from .errors import FaultNotSupported, ScenarioError
from .live_processes import binary_for_commands
from .results import Result
from .topology import PathLike, Topology
from .transport import Duration, Response, to_nanoseconds

Source = Union[Topology, Mapping[str, Any], PathLike]
"""What a world runs: a :class:`Topology`, a topology or scenario dict, or the path of a topology or scenario JSON
file."""


def _scenario_document(source: Source) -> Tuple[Dict[str, Any], str, str]:
    """(scenario dict, base directory, file) from a Topology, a topology or scenario dict, or a JSON file path."""
    if isinstance(source, Topology):
        return {"topology": source.to_dict()}, os.getcwd(), ""
    if isinstance(source, Mapping):
        document = dict(source)
        return (document if "topology" in document else {"topology": document}), os.getcwd(), ""
    path = os.path.abspath(os.fspath(source))
    try:
        with open(path, encoding="utf-8") as handle:
            document = json.load(handle)
    except OSError as failure:
        raise ScenarioError(f"cannot read {path}: {failure.strerror}") from None
    except ValueError as failure:
        raise ScenarioError(f"{path} is not valid JSON: {failure}") from None
    if isinstance(document, dict) and "topology" in document:
        return document, os.path.dirname(path), path
    return {"topology": os.path.basename(path)}, os.path.dirname(path), ""


_NEEDS_LINK_MODEL = "needs the simulated network"   # how the world words a step the direct network cannot apply
_LINK_MODEL_ACTIONS = ("stop", "slow", "jam", "restore", "lost-responses")
_LINK_MODEL_TOXICS = ("latency", "bandwidth", "timeout", "reset_peer", "limit_data", "slicer", "slow_close")


def _link_model_fault(step: Mapping[str, Any]) -> str:
    """What in a fault step acts on the bytes of a link, which only the simulated network has ("" for nothing):
    the simulator's own link faults, a toxic but ``down`` (a cut), a one-way partition."""
    action = step.get("action")
    if action in _LINK_MODEL_ACTIONS:
        return str(action)
    toxic = step.get("toxic")
    if action == "toxic" and isinstance(toxic, Mapping) and toxic.get("type") in _LINK_MODEL_TOXICS:
        return f"a {toxic['type']} toxic"
    if action == "partition" and step.get("direction") == "one-way":
        return "a one-way partition"
    return ""


class Simulation(Cluster):
    """A simulated world of real nodes: the cloud and a tree of connected registries on one event loop.

    ``source``: a :class:`~outpost.Topology` (``outpost.tree(...)``), a topology dict (a scenario's ``topology``
    forms), a whole scenario dict (``{"topology": ..., "workload": [...], "faults": {...}}``), or the path of a
    topology or scenario JSON file. ``seed``: default ``$OUTPOST_SEED``, else the scenario's (1). ``network``:
    ``"direct"`` (no delay: quick, the default) or ``"simulated"`` (links with latency, bandwidth and the fault
    proxy's toxics); default the scenario's. ``storage``: ``"memory"`` (the default) or ``"disk"`` (each node on a data
    directory's files and SQLite, as ``outpost serve`` keeps it, in a temporary directory removed when the simulation
    is freed); default the scenario's. ``trace``: which trace records to keep for :meth:`export_trace`
    (``"last"``: the last ``trace_records``; ``"all"``; ``"none"``); the hash covers everything either way.

    The world is built on first use (or by :meth:`build`). Raises :class:`~outpost.ScenarioError` for a bad
    scenario, naming the field. The end of a ``with`` block closes it.
    """

    def __init__(self, source: Source, seed: Optional[int] = None, network: Optional[str] = None, *,
                 trace: str = "last", trace_records: int = 100_000, storage: Optional[str] = None) -> None:
        document, base, file = _scenario_document(source)
        if seed is None:
            from_env = os.environ.get("OUTPOST_SEED")
            scenario_seed = document.get("seed", 1)
            # A malformed scenario seed is reported by the scenario's parser, with its field path.
            try:
                seed = int(from_env) if from_env else scenario_seed if isinstance(scenario_seed, int) else 1
            except ValueError:
                raise ValueError(f"OUTPOST_SEED={from_env!r} is not a seed: a whole number from 0 to 2^64 - 1") \
                    from None
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0 or seed >= 2**64:
            raise ValueError(f"seed must be a whole number from 0 to 2^64 - 1, not {seed!r}")
        if isinstance(trace_records, bool) or not isinstance(trace_records, int) or not 0 <= trace_records < 2**63:
            raise ValueError(f"trace_records must be a whole number >= 0, not {trace_records!r}")
        if trace not in ("last", "all", "none"):  # pybind's own TypeError printed the whole scenario
            raise ValueError(f"trace {trace!r}: 'last', 'all' or 'none'")
        if network not in (None, "direct", "simulated"):
            raise ValueError(f"network {network!r}: 'direct' or 'simulated'")
        if storage not in (None, "memory", "disk"):
            raise ValueError(f"storage {storage!r}: 'memory' or 'disk'")
        if storage is not None:
            document = {**document, "storage": storage}
        self._file = file
        self._session = _outpost.Session(json.dumps(document), base, seed, network or "", trace, trace_records)
        self._storage = str(document.get("storage", "memory"))  # the scenario's parser refused any other value
        # The replay names the storage when it is not the scenario file's own (or is disk, which is worth seeing).
        self._storage_flag = storage is not None or self._storage == "disk"
        self._driven = False  # True once anything beyond the scenario's own phases ran (replay needs the script)
        # The scenario's phases run so far, in order: `outpost sim run` replays the run only when they were its own,
        # run then settle, each once (a settle without the run phase, or a phase twice, is another run).
        self._phases: List[str] = []
        self._duration_flag: Optional[str] = None  # run_scenario's duration, when not the scenario's
        self._started = time.perf_counter()
        self._tokens_cache: Dict[str, Dict[str, Any]] = {}
        super().__init__(Topology(json.loads(self._session.topology_json())))

    def __repr__(self) -> str:
        return (f"<outpost.Simulation {self.scenario_name!r} seed={self.seed} network={self.network} "
                f"t={self.now:.3f}s>")

    # ------------------------------------------------------------------ identity
    @property
    def seed(self) -> int:
        """The world's seed."""
        return int(self._session.seed)

    @property
    def network(self) -> str:
        """``"direct"`` or ``"simulated"``."""
        return str(self._session.network)

    @property
    def storage(self) -> str:
        """``"memory"`` or ``"disk"``."""
        return self._storage

    @property
    def scenario_name(self) -> str:
        """The scenario's ``name`` (``"scenario"`` for a bare topology)."""
        return str(self._session.scenario_name)

    @property
    def trace_hash(self) -> str:
        """The run's identity (16 hex digits): the same seed and the same calls give the same hash."""
        return str(self._session.trace_hash)

    @property
    def events(self) -> int:
        """Events the loop has dispatched (the unit of the simulator's cost)."""
        return int(self._session.events)

    @property
    def replay_command(self) -> str:
        """How to replay this run: ``outpost sim run`` for a scenario file run by its own phases only (``run_all()``,
        or ``run_scenario()`` then ``settle()``, each once, and nothing else), naming the executable a
        ``LiveCluster`` would run; else this script again with the seed in ``OUTPOST_SEED`` (or
        :attr:`replay_template`)."""
        return self._replay_command()

    def _replay_command(self) -> str:
        if self._file and not self._driven and self._phases == ["run", "settle"]:
            duration = f" --duration {shlex.quote(self._duration_flag)}" if self._duration_flag else ""
            return (f"{shlex.quote(binary_for_commands())} sim run {shlex.quote(self._file)} --seed {self.seed}"
                    f"{duration} --network {self.network}"
                    f"{f' --storage {self.storage}' if self._storage_flag else ''}")
        return super()._replay_command()

    def _seed(self) -> Optional[int]:
        return self.seed

    # ------------------------------------------------------------------ phases
    def build(self) -> bool:
        """Starts the cloud, creates every resource and starts every node, until all are ready (at most the
        scenario's warmUp); True when all were. Other calls build first when needed."""
        return bool(self._session.build())

    def run_scenario(self, duration: Optional[Duration] = None) -> None:
        """The scenario's own run phase: its workload and fault plan for ``duration`` (default the scenario's).
        ``build(); run_scenario(); settle(); close()`` is exactly ``outpost sim run`` for that seed."""
        nanoseconds = None if duration is None else to_nanoseconds(duration)
        self._session.run_scenario(nanoseconds)
        self._phases.append("run")
        if nanoseconds is not None:
            seconds, rest = divmod(nanoseconds, 10**9)
            # The text as given when `sim run --duration` reads it the same ("10m"); otherwise the exact ISO form:
            # Python also takes "1.5m" or "30m1h", which the command refuses.
            self._duration_flag = f"PT{seconds}.{rest:09d}S"
            if isinstance(duration, str):
                try:
                    if _outpost.parse_duration_ns(duration) == nanoseconds:
                        self._duration_flag = duration
                except ValueError:
                    pass

    def settle(self) -> Result:
        """The scenario's settle phase: heal everything, wait for convergence within its ``settle``; the result."""
        self._session.settle()
        self._phases.append("settle")
        return self.result()

    def run_all(self, duration: Optional[Duration] = None) -> Result:
        """build, run_scenario, settle, close: one scenario run exactly as ``outpost sim run`` does it (the same
        seed gives the same trace hash and result); the result. The nodes are stopped afterwards: to look at them
        after the settle, call the phases one by one."""
        self.build()
        self.run_scenario(duration)
        self.settle()
        self.close()
        return self.result()

    def close(self) -> None:
        """Stops every node; the simulation runs nothing afterwards. The hash and result stay readable, as they
        stood before the nodes stopped (stopping is not part of the run, as in ``outpost sim run``)."""
        self._session.shutdown()

    # ------------------------------------------------------------------ results
    def result(self) -> Result:
        """The run so far: violations (convergence judged by the latest converge() or settle()), metrics, faults,
        trace hash."""
        return Result(json.loads(self._session.result_json()), self.replay_command)

    def export_trace(self, path: PathLike) -> None:
        """Writes the kept trace records as a Chrome trace (open it in ui.perfetto.dev or chrome://tracing)."""
        self._session.export_trace(os.fspath(path))

    def trace_json(self) -> Dict[str, Any]:
        """The kept trace records in the Chrome trace format."""
        return json.loads(self._session.trace_json())

    def timing(self) -> Dict[str, float]:
        """Wall seconds since this object was made, how many of them ran in the engine, and Python's share of the
        rest (scripts, predicates, clients)."""
        total = time.perf_counter() - self._started
        engine = float(self._session.engine_seconds)
        return {"wall": total, "engine": engine, "python_share": max(total - engine, 0.0) / total if total else 0.0}

    # ------------------------------------------------------------------ world hooks
    def _send(self, node: str, method: str, authority: str, target: str, headers: List[Tuple[str, str]],
              body: bytes, timeout: float) -> Response:
        self._driven = True
        status, answer_headers, answer_body, transport_error = self._session.request(
            node, method, authority, target, headers, body, to_nanoseconds(timeout))
        return Response(status, answer_headers, answer_body, transport_error)

    def _management_send(self, method: str, path: str, body: bytes, timeout: float) -> Response:
        # Through the world's operator, like its own calls: the invariant checks mirror the change.
        self._driven = True
        status, headers, answer, transport_error = self._session.management(
            method, path, body.decode() if body else "", to_nanoseconds(timeout))
        return Response(status, headers, answer, transport_error)

    def _cloud_authority(self) -> str:
        return "cloud:5000"

    def _admin_password(self) -> str:
        return str(self._session.admin_password)

    def _login_server(self, node: str) -> str:
        return str(self._session.login_server(node))

    def _node_tokens(self, node: str) -> Dict[str, Any]:
        if node not in self._tokens_cache:
            self._tokens_cache[node] = json.loads(self._session.node_tokens_json(node))
        return self._tokens_cache[node]

    def _default_credentials(self, node: str) -> Tuple[str, Optional[str]]:
        if node == CLOUD:
            return "admin", self._admin_password()
        self.build()
        tokens = self._node_tokens(node)
        chosen = (tokens["push"] or tokens["client"] or [tokens["reader"]])[0]
        return chosen, self.password_of(chosen)

    def _known_password(self, token: str) -> Optional[str]:
        self.build()
        password = self._session.token_password(token)
        return None if password is None else str(password)

    def _now_ns(self) -> int:
        return int(self._session.now_ns)

    def _advance(self, duration_ns: int) -> None:
        self._driven = True
        self._session.run_for(duration_ns)

    def _node_fault(self, action: str, nodes: Sequence[str], skew_ns: int = 0) -> None:
        self._driven = True
        self._session.apply_fault(action, list(nodes), skew_ns)

    def _link_fault(self, action: str, targets: Sequence[str]) -> None:
        self._driven = True
        self._session.apply_fault(action, list(targets), 0)

    # Link faults are fault steps of the scenario format, applied by the world's FaultInjector: its bookkeeping
    # (a toxic cut counted with link-downs), the trace, the metrics and the invariants' outage windows all see them.
    def _link_model(self, what: str) -> None:
        if self.network != "simulated":
            raise FaultNotSupported(f"{what} needs the simulated network: Simulation(..., network=\"simulated\")")

    def _add_toxic(self, client: str, server: str, kind: str, attributes: Dict[str, float], stream: str,
                   toxicity: float, name: str) -> None:
        if kind != "down":
            self._link_model(f"a {kind} toxic")
        toxic: Dict[str, Any] = {"type": kind, "name": name}
        if kind != "down":
            toxic.update({"attributes": attributes, "stream": stream, "toxicity": toxicity})
        self._apply_step({"action": "toxic", "target": client, "toxic": toxic})

    def _remove_toxic(self, client: str, server: str, name: str) -> bool:
        existed = any(toxic["name"] == name for toxic in self._toxics(client, server))
        if existed:
            self._apply_step({"action": "remove-toxic", "target": client, "toxic": {"name": name}})
        return existed

    def _toxics(self, client: str, server: str) -> List[Dict[str, Any]]:
        # The world's record, which every way of adding or removing one (a Link method, a fault step, its `for`, a
        # heal) keeps: `down` toxics included.
        return json.loads(self._session.toxics_json(client, server))

    def _link_state(self, child: str, state: str, stream: str, extra_ns: int = 0) -> None:
        self._link_model(state)
        attributes: Dict[str, Any] = {"stream": stream}
        if state == "slow":
            seconds, rest = divmod(extra_ns, 10**9)
            attributes["latency"] = f"PT{seconds}.{rest:09d}S"
        self._apply_step({"action": state, "target": child, "attributes": attributes})

    def _lost_responses(self, child: str, toxicity: float) -> None:
        self._link_model("lost responses")
        self._apply_step({"action": "lost-responses", "target": child, "attributes": {"toxicity": toxicity}})

    def _apply_step(self, step: Dict[str, Any]) -> None:
        if self.network != "simulated":
            needs = _link_model_fault(step)
            if needs:
                # Refused now, as Link's methods refuse it: the world would take a step due later and fail only
                # when it fires, and its refusal is a ScenarioError where FaultNotSupported is meant.
                self._link_model(needs)
        try:
            text = json.dumps(step, allow_nan=False)
        except ValueError:
            raise ScenarioError("step: NaN and infinities are not numbers a step can hold (the scenario format is "
                                "JSON)") from None
        self._driven = True
        try:
            self._session.apply_step(text)
        except ScenarioError as refused:
            # What the direct network cannot do and the check above does not know of: the world's own words,
            # under the class the documentation names for it.
            if _NEEDS_LINK_MODEL in str(refused):
                raise FaultNotSupported(str(refused)) from None
            raise

    def _heal_all(self) -> None:
        self._driven = True
        self._session.heal_all()

    def _node_status(self, node: str) -> Dict[str, Any]:
        self.build()
        return json.loads(self._session.node_status_json(node))

    def _node_metrics_text(self, node: str) -> str:
        self.build()
        return str(self._session.node_metrics_text(node))

    def _converge_report(self, deadline_ns: int, every_ns: int) -> Dict[str, Any]:
        self._driven = True
        return json.loads(self._session.converge(deadline_ns, every_ns))

    def check_convergence(self) -> Dict[str, Any]:
        """One convergence check now, without waiting (the simulator's report as a dict)."""
        return json.loads(self._session.check_convergence())
