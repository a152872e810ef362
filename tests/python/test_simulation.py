"""The Python module `outpost` on the simulator: the vocabulary of docs/python.md, checked end to end on small
simulated worlds (a few seconds in all). Run with the pinned interpreter and PYTHONPATH=build/python (ctest
`python_bindings` does)."""

import ast
import json
import os
import pathlib
import shlex

import pytest

import outpost
from outpost import _outpost

REPO = pathlib.Path(__file__).resolve().parents[2]


def pushed_everywhere(sim, repository, tag):
    return all(node.has(repository, tag) for node in sim.nodes)


def test_import_exposes_the_vocabulary():
    for name in ("Simulation", "tree", "Topology", "RegistryError", "Unauthorized", "Denied", "NotFound",
                 "Unsupported", "ScenarioError", "SimulationError", "FaultNotSupported", "Convergence", "Cluster"):
        assert hasattr(outpost, name), name
    assert issubclass(outpost.Unauthorized, outpost.RegistryError)
    assert issubclass(outpost.ScenarioError, ValueError)
    assert outpost.to_nanoseconds("1h30m") == _outpost.parse_duration_ns("1h30m") == 5400 * 10**9
    assert outpost.to_nanoseconds("PT1H") == _outpost.parse_duration_ns("PT1H")
    assert outpost.to_nanoseconds("-5m") == _outpost.parse_duration_ns("-5m")
    assert outpost.to_nanoseconds(1.5) == 1_500_000_000


def test_an_error_class_follows_the_status_when_the_code_is_the_catch_all():
    from outpost.errors import error_class
    assert error_class(404, "UNSUPPORTED") is outpost.NotFound  # a path under /v2/ that is no endpoint
    assert error_class(400, "UNSUPPORTED") is outpost.errors.Invalid  # a bad page size
    assert error_class(405, "UNSUPPORTED") is outpost.Unsupported
    assert error_class(404, "MANIFEST_UNKNOWN") is outpost.NotFound
    assert error_class(503, "UNAUTHORIZED") is outpost.errors.Unavailable
    assert error_class(413, "MANIFEST_INVALID") is outpost.TooLarge  # a manifest over the size limit


def test_a_manifest_over_the_limit_raises_too_large():
    sim = outpost.Simulation(outpost.tree(1, 1), seed=2)
    sim.build()
    with pytest.raises(outpost.TooLarge) as refused:
        sim.cloud.client().push_manifest("apps/a", "big", b"{" + b" " * (5 * 2**20) + b"}")
    assert refused.value.status == 413


def test_every_binding_has_a_docstring_and_a_stub():
    stub = ast.parse((REPO / "bindings/outpost/_outpost.pyi").read_text())
    stubbed = {node.name for node in stub.body if isinstance(node, (ast.FunctionDef, ast.ClassDef))}
    session_stub = next(node for node in stub.body if isinstance(node, ast.ClassDef) and node.name == "Session")
    stubbed_methods = {node.name for node in session_stub.body if isinstance(node, ast.FunctionDef)}
    public = [name for name in dir(_outpost) if not name.startswith("_")]
    for name in public:
        assert name in stubbed, f"_outpost.{name} has no stub"
        assert (getattr(_outpost, name).__doc__ or "").strip(), f"_outpost.{name} has no docstring"
    for name in dir(_outpost.Session):
        if name.startswith("_"):
            continue
        assert name in stubbed_methods, f"Session.{name} has no stub"
        assert (getattr(_outpost.Session, name).__doc__ or "").strip(), f"Session.{name} has no docstring"


def test_tree_topology_expands_every_node():
    topology = outpost.tree(2, 2, modes=["ReadWrite", "ReadOnly"])
    assert topology.names == ["node1", "node2", "node1n1", "node1n2", "node2n1", "node2n2"]
    assert topology.mode("node1") == "ReadWrite" and topology.mode("node1n2") == "ReadOnly"
    assert topology.parent("node2n1") == "node2" and topology.ancestors("node2n1") == ["node2", "cloud"]
    with pytest.raises(outpost.ScenarioError, match="ReadWrite under a ReadOnly"):
        outpost.tree(2, 1, modes=["ReadOnly", "ReadWrite"])
    # A document built by hand is not checked until a run starts; a cycle in it made these loop for ever.
    cycle = outpost.Topology({"nodes": [{"name": "nodea", "parent": "nodeb"}, {"name": "nodeb", "parent": "nodea"}]})
    with pytest.raises(outpost.ScenarioError, match=r"'nodea' is its own ancestor \(nodea -> nodeb -> nodea\)"):
        cycle.depth("nodea")
    with pytest.raises(outpost.ScenarioError, match="its own ancestor"):
        cycle.subtree("nodea")


def test_a_push_at_the_cloud_reaches_every_node_of_a_tree():
    sim = outpost.Simulation(outpost.tree(2, 2), seed=3)
    assert sim.build()
    pushed = sim.cloud.push("apps/demo", "v1", {"layers": [2048, b"hello layer"]})
    verdict = sim.converge("5m")
    assert verdict, verdict.why
    assert verdict.after is not None and verdict.after <= 300
    for node in sim.nodes:
        assert node.tags("apps/demo") == ["v1"]
        pulled = node.pull("apps/demo", "v1")
        assert pulled.digest == pushed.digest
        assert pulled.layers[1] == b"hello layer"
    assert sim.result().ok
    status = sim.node("node1n2").status()
    assert status["state"] == "running" and status["ready"] and status["agent"]["name"] == "node1n2"
    assert any(name.startswith("outpost_sync_rounds_total") for name in sim.node("node1").metrics())


def test_a_wrong_password_raises_unauthorized_with_the_registry_code():
    sim = outpost.Simulation(outpost.tree(1, 1), seed=1)
    client = sim.node("node1").client("node1-client", "not-the-password")
    with pytest.raises(outpost.Unauthorized) as raised:
        client.tags("apps/demo")
    assert raised.value.code == "UNAUTHORIZED"
    assert raised.value.status == 401
    assert raised.value.message
    # The right password (the one the topology's token was created with) is accepted.
    assert sim.node("node1").client("node1-client").catalog() == []


def test_a_read_only_node_refuses_a_push_with_denied():
    sim = outpost.Simulation(outpost.tree(2, 1, modes=["ReadWrite", "ReadOnly"]), seed=2)
    with pytest.raises(outpost.Denied) as raised:
        sim.node("node1n1").push("apps/demo", "v1")
    assert raised.value.code == "DENIED"
    assert raised.value.status == 403
    assert "not allowed on this registry" in raised.value.message  # SPEC 4.3 (2)
    # The ReadWrite node above it takes the push, and it travels up to the cloud and down to the ReadOnly node.
    sim.node("node1").push("apps/demo", "from-node1")
    assert sim.converge("10m")
    assert sim.node("node1n1").has("apps/demo", "from-node1")
    assert sim.cloud.has("apps/demo", "from-node1")


def test_a_link_down_keeps_its_subtree_behind_until_healed():
    sim = outpost.Simulation(outpost.tree(2, 1), seed=4)
    sim.build()
    sim.link("node1").down()
    sim.cloud.push("apps/demo", "v1")
    behind = sim.converge("2m")
    assert not behind
    assert set(behind.nodes) == {"node1", "node1n1"}
    assert "its uplink is down (link-down)" in behind.nodes["node1"].reasons
    assert "ancestor node1's uplink is down (link-down)" in behind.nodes["node1n1"].reasons
    assert behind.nodes["node1n1"].missing == 1
    with pytest.raises(outpost.NotConverged, match="seed 4"):
        behind.check()
    assert not sim.node("node1n1").has("apps/demo", "v1")
    sim.heal_all()
    assert sim.converge("10m").check()
    assert sim.node("node1n1").has("apps/demo", "v1")
    assert not sim.result().violations


def test_a_crashed_node_is_named_and_recovers_on_restart():
    sim = outpost.Simulation(outpost.tree(1, 2), seed=5)
    sim.build()
    sim.node("node2").crash()
    sim.cloud.push("apps/demo", "v1")
    verdict = sim.converge("1m")
    assert not verdict and list(verdict.nodes) == ["node2"]
    assert "its process is down" in verdict.nodes["node2"].reasons
    assert sim.node("node2").status()["crashes"] == 1
    sim.node("node2").restart()
    assert sim.converge("10m")


def test_on_disk_storage_a_crashed_node_reopens_its_files_and_the_run_is_the_one_in_memory(tmp_path):
    def crash_and_restart(sim):
        sim.build()
        sim.cloud.push("apps/demo", "v1")
        assert sim.converge("5m")
        sim.node("node2").crash()
        sim.cloud.push("apps/demo", "v2")
        sim.node("node2").restart()
        assert sim.converge("10m")
        return sim.trace_hash

    with outpost.Simulation(outpost.tree(1, 2), seed=5, storage="disk") as on_disk:
        assert on_disk.storage == "disk"
        disk_hash = crash_and_restart(on_disk)
    in_memory = outpost.Simulation(outpost.tree(1, 2), seed=5)
    assert in_memory.storage == "memory"
    assert crash_and_restart(in_memory) == disk_hash
    with pytest.raises(ValueError, match="'memory' or 'disk'"):
        outpost.Simulation(outpost.tree(1, 1), storage="tape")
    with pytest.raises(outpost.ScenarioError, match="is not a storage"):
        outpost.Simulation({"topology": {"tree": {"depth": 1, "fanout": 1}}, "storage": "tape"})
    # A scenario file run on disk replays with the flag that put it there.
    path = tmp_path / "small.json"
    path.write_text(json.dumps({"name": "small", "duration": "2m", "settle": "2m",
                                "topology": {"tree": {"depth": 1, "fanout": 1}}}))
    sim = outpost.Simulation(str(path), seed=2, storage="disk")
    assert sim.run_all().ok
    assert sim.replay_command.endswith(f"{path} --seed 2 --network direct --storage disk")


def edge_on_a_slow_link(mode: str) -> dict:
    """One node, edge1, under the cloud on a 1 Mbit/s link: a layer of a few hundred kB takes seconds to cross it."""
    return {"network": "simulated",
            "topology": {"tree": {"repositories": ["apps/*"], "levels": [
                {"count": 1, "name": "edge", "mode": mode, "link": {"latency": "10ms", "bandwidth": "1Mbit/s"}}]}}}


def test_a_node_crashed_mid_download_takes_no_more_of_it_on_disk_or_in_memory():
    # A 900 kB layer takes seconds on a 1 Mbit/s link: the crash cuts its download. The response was still on its way
    # and used to be written into the dead process's stores, which on disk storage were closed by then (a segfault).
    hashes = []
    for storage in ("disk", "memory"):
        with outpost.Simulation(edge_on_a_slow_link("ReadWrite"), seed=1, storage=storage) as sim:
            sim.build()
            sim.cloud.push("apps/big", "v1", {"layers": [900_000]})
            sim.run_for("3s")
            sim.node("edge1").crash()
            sim.run_for("2m")
            sim.node("edge1").restart()
            assert sim.converge("20m")
            hashes.append(sim.trace_hash)
    assert hashes[0] == hashes[1]


def test_a_download_cut_by_its_node_crashing_resumes_after_the_restart_on_disk_or_in_memory():
    # An 8 MB layer takes about 64 s on a 1 Mbit/s link; the node crashes 40 s in. What had arrived stays in the
    # download's upload session (a process writes what it reads as it reads it), and the node remembers that session
    # in its sync store: the restarted node asks for the rest (206) rather than the whole layer again (200), which it
    # did when that was remembered only in the dead process's memory, and when the simulated crash dropped the bytes
    # that had arrived.
    layer = 8_000_000
    hashes = []
    for storage in ("disk", "memory"):
        with outpost.Simulation(edge_on_a_slow_link("ReadOnly"), seed=1, storage=storage) as sim:
            sim.build()
            image = sim.cloud.push("apps/big", "v1", {"layers": [layer]})
            sim.run_for("40s")
            sim.node("edge1").crash()
            sim.run_for("10s")
            sim.node("edge1").restart()
            assert sim.converge("20m")
            layer_digest = json.loads(image.manifest)["layers"][0]["digest"]
            answers = [event["args"]["detail"].rsplit(" ", 1)[-1] if "crashed" not in event["args"]["detail"]
                       else "cut" for event in sim.trace_json()["traceEvents"]
                       if f"GET /v2/apps/big/blobs/{layer_digest}" in event.get("args", {}).get("detail", "")]
            assert answers == ["cut", "206"], answers
            # The cut GET's bytes count too: together the two moved the layer about once.
            moved = sim.result().metrics["bytes"]["moved"]
            assert layer <= moved < layer + 64_000, moved
            hashes.append(sim.trace_hash)
    assert hashes[0] == hashes[1]


def test_a_bad_scenario_raises_scenario_error_with_the_field_path():
    with pytest.raises(outpost.ScenarioError, match=r"scenario\.topology\.tree\.depth"):
        outpost.Simulation({"topology": {"tree": {"depth": 0, "fanout": 2}}})
    with pytest.raises(outpost.ScenarioError, match=r"scenario\.workload\[0\]"):
        outpost.Simulation({"topology": {"tree": {"depth": 1, "fanout": 1}},
                            "workload": [{"action": "push", "node": "nowhere", "at": "1m"}]})
    with pytest.raises(outpost.ScenarioError, match="unknown|not a key|allowed"):
        outpost.Simulation({"topology": {"tree": {"depth": 1, "fanout": 1}}, "colour": "blue"})
    with pytest.raises(outpost.ScenarioError):
        outpost.Simulation("/nonexistent/scenario.json")


def test_a_file_nested_without_bound_is_refused_not_a_crash(tmp_path):
    # A node's "sync" nested 100,000 objects deep killed the interpreter (and `outpost sim run`) with SIGSEGV: copying
    # the parsed value recursed once per level. Files nesting deeper than 64 levels are refused before parsing.
    depth = 100_000
    deep = tmp_path / "deep.json"
    deep.write_text('{"nodes":[{"name":"nodea","repositories":["apps/*"],"sync":' + '{"a":' * depth + "1" +
                    "}" * depth + "}]}")
    with pytest.raises(outpost.ScenarioError, match="nests deeper than 64 levels"):
        outpost.load_topology(str(deep))
    with pytest.raises(outpost.ScenarioError, match="nests deeper than 64 levels"):
        outpost.Simulation({"topology": {"file": str(deep)}})
    import subprocess
    done = subprocess.run([os.environ["OUTPOST_BIN"], "sim", "run", str(deep), "--duration", "1m"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "nests deeper than 64 levels" in done.stderr, (done.returncode, done.stderr)


@pytest.mark.parametrize("mode", ["ReadWrite", "ReadOnly"])
def test_converge_judges_a_node_by_its_scope_as_changed_during_the_run(mode):
    # The check read each node with a token of the topology's repositories and judged it by them: a repository added
    # by `permissions` was "missing" for ever, and one removed was still expected.
    sim = outpost.Simulation(outpost.tree(1, 1, modes=[mode]), seed=3)
    sim.cloud.push("apps/a", "v1")
    assert sim.converge("5m")
    sim.connected_registries.permissions("node1", remove=["apps/*"], add=["other/*"])
    sim.cloud.push("other/c", "v1")
    sim.cloud.push("apps/b", "v1")  # out of node1's scope now: not expected there
    verdict = sim.converge("15m")
    assert verdict, verdict.why
    reader = sim.node("node1").client("node1-sim")  # the simulator's own reader: every repository
    assert reader.has("other/c", "v1") and not reader.has("apps/b", "v1")
    assert sim.result().ok, sim.result().violations[:3]


@pytest.mark.parametrize("regenerate", ["generate_credentials", "connection_string"])
def test_a_sync_password_regenerated_from_python_is_judged_stale_not_allowed(regenerate):
    # The checker took any password the agent presented for its sync token's current password1: after a
    # regeneration the cloud refused the agent's old one (rightly) and the oracle called that 24 violations.
    sim = outpost.Simulation(outpost.tree(1, 1), seed=1)
    sim.build()
    sim.run_for("1m")
    if regenerate == "generate_credentials":
        sim.tokens.generate_credentials("node1-sync-token", password="password1")
    else:
        sim.connected_registries.connection_string("node1")
    sim.run_for("2m")
    assert sim.result().ok, sim.result().violations[:1]
    assert sim.node("node1").status()["connectionState"] != "Online"  # its parent refuses it now


def test_engine_errors_become_python_exceptions_not_crashes():
    sim = outpost.Simulation(outpost.tree(1, 1), seed=1)
    with pytest.raises(KeyError):
        sim.node("nowhere")
    with pytest.raises(outpost.FaultNotSupported):
        sim.link("node1").add_toxic("latency", latency=100)  # the direct network has no toxics...
    sim.link("node1").add_toxic("down")                       # ... but the proxy's down is a cut
    assert [toxic["type"] for toxic in sim.link("node1").toxics()] == ["down"]
    assert sim.link("node1").remove_toxic("down") and not sim.link("node1").toxics()
    with pytest.raises(ValueError, match="not a fault action"):
        sim._session.apply_fault("explode", ["node1"])
    with pytest.raises(ValueError):
        sim._session.request("nowhere", "GET", "cloud:5000", "/v2/", [], b"", 10**9)
    with pytest.raises(ValueError):
        sim.run_for("soon")
    sim.close()
    with pytest.raises(outpost.SimulationError, match="shut down"):
        sim.run_for(1)


def test_closing_leaves_the_run_as_it_ended():
    # Stopping the nodes is not part of the run: a closed simulation reads what `outpost sim run` reports.
    sim = outpost.Simulation(outpost.tree(1, 1), seed=4)
    sim.build()
    sim.run_for("2m")
    before_hash, before_events = sim.trace_hash, sim.result().raw["events"]
    sim.close()
    assert sim.trace_hash == before_hash
    assert sim.result().raw["events"] == before_events


def test_toxics_on_the_simulated_network():
    topology = outpost.tree(1, 1).set_default_link(latency="5ms", bandwidth="100Mbit/s")
    sim = outpost.Simulation(topology, seed=6, network="simulated")
    link = sim.link("node1")
    name = link.add_toxic("latency", latency=200, jitter=10)
    assert name == "latency_downstream"
    assert [toxic["type"] for toxic in link.toxics()] == ["latency"]
    with pytest.raises(ValueError):
        link.add_toxic("latency", name="bad", wobble=3)  # the proxy answers 400 for an unknown attribute
    sim.cloud.push("apps/demo", "v1", {"layers": [64 * 1024]})
    assert sim.converge("5m")
    assert link.remove_toxic(name) and not link.toxics()
    link.add_toxic("timeout", timeout=0)  # the uplink's bytes vanish
    sim.cloud.push("apps/demo", "v2")
    assert not sim.converge("30s")
    sim.heal_all()
    assert not link.toxics()
    assert sim.converge("10m")
    # The simulator's own link faults: held bytes flow on when restored.
    link.jam("down")
    sim.cloud.push("apps/demo", "v3")
    assert not sim.converge("30s")
    link.restore()
    assert sim.converge("10m")
    assert sim.result().ok, sim.result().violations


def test_a_full_disk_refuses_pushes_until_freed():
    sim = outpost.Simulation(outpost.tree(1, 1), seed=13)
    node = sim.node("node1")
    node.fill_disk()
    with pytest.raises(outpost.ServerError) as raised:
        node.push("apps/demo", "v1")
    assert raised.value.status == 507
    node.free_disk()
    node.push("apps/demo", "v1")
    assert sim.converge("10m") and sim.cloud.has("apps/demo", "v1")


def test_the_same_seed_and_calls_give_the_same_trace_hash():
    def run(extra_push):
        sim = outpost.Simulation(outpost.tree(2, 1), seed=11)
        sim.cloud.push("apps/demo", "v1")
        sim.link("node1n1").down()
        sim.run_for("30s")
        sim.heal_all()
        if extra_push:
            sim.cloud.push("apps/demo", "v2")
        sim.converge("5m")
        return sim.trace_hash

    first = run(False)
    assert run(False) == first
    assert run(True) != first


def test_run_until_checks_the_predicate_per_interval_not_per_event():
    sim = outpost.Simulation(outpost.tree(1, 1), seed=8)
    sim.build()
    calls_before, events_before = sim.predicate_calls, sim.events
    # Never true: evaluated at 0, 10, ..., 60 s of virtual time, while the world runs a minute of sync loops.
    assert not sim.run_until(lambda: False, "1m", every="10s")
    assert sim.predicate_calls - calls_before == 7
    assert sim.events - events_before > 10 * 7
    sim.cloud.push("apps/demo", "v1")
    leaf = sim.node("node1")
    calls_before, start = sim.predicate_calls, sim.now
    assert sim.run_until(lambda: leaf.has("apps/demo", "v1"), "10m", every="1s")
    assert sim.predicate_calls - calls_before <= (sim.now - start) + 2


def test_the_control_plane_with_the_management_api_verbs():
    sim = outpost.Simulation(outpost.tree(1, 1), seed=9)
    sim.cloud.push("apps/demo", "v1")
    created = sim.tokens.create("reader", actions=["repositories/apps/demo/content/read",
                                                   "repositories/apps/demo/metadata/read"])
    assert created["scopeMap"] == "reader-map"
    reader = sim.cloud.client("reader")
    assert reader.tags("apps/demo") == ["v1"]
    with pytest.raises(outpost.Denied):
        reader.push("apps/demo", "v2")
    sim.tokens.disable("reader")
    with pytest.raises(outpost.Unauthorized):
        reader.tags("apps/demo")
    sim.tokens.enable("reader")
    assert reader.tags("apps/demo") == ["v1"]
    sim.scope_maps.update("reader-map", add=["repositories/apps/demo/content/write"])
    assert "repositories/apps/demo/content/write" in sim.scope_maps.show("reader-map")["actions"]
    reader.push("apps/demo", "v2")
    listed = {entry["name"]: entry for entry in sim.connected_registries.list()}
    assert listed["node1"]["mode"] == "ReadWrite"
    assert sim.connected_registries.show("node1")["parent"] is None
    with pytest.raises(outpost.NotFound):
        sim.tokens.show("nobody")
    assert sim.converge("10m")


def test_a_scenario_file_runs_its_own_phases_and_exports_a_trace(tmp_path):
    scenario = {
        "name": "small", "duration": "5m", "settle": "5m",
        "topology": {"tree": {"depth": 2, "fanout": 1}},
        "workload": [{"action": "push", "node": "cloud", "repository": "apps/x", "every": "1m"}],
        "faults": {"timeline": [{"at": "2m", "action": "link-down", "target": "node1", "for": "1m"}]},
    }
    path = tmp_path / "small.json"
    path.write_text(json.dumps(scenario))
    sim = outpost.Simulation(str(path), seed=2, trace="all")
    result = sim.run_all()
    assert result.ok, str(result)
    assert result.counts["workload"]["pushes"]["acknowledged"] >= 4
    # The building is part of what ran, and the rate after it counts the rest (no absolute time is asserted).
    assert 0 < result.counts["build"]["events"] < result.counts["events"]
    assert result.counts["build"]["wallSeconds"] <= result.counts["engineSeconds"]
    assert result.counts["eventsPerSecondAfterBuild"] > 0
    assert result.raw["faults"]["applied"] >= 2
    assert sim.replay_command.endswith(f"{path} --seed 2 --network direct")
    trace_file = tmp_path / "trace.json"
    sim.export_trace(trace_file)
    events = json.loads(trace_file.read_text())["traceEvents"]
    assert any(event.get("name") == "fault" for event in events)
    assert result.trace_hash == sim.trace_hash


def test_fault_steps_in_the_scenario_vocabulary():
    sim = outpost.Simulation(outpost.tree(1, 2), seed=12)
    sim.apply_fault({"action": "pause", "target": "node1", "for": "30s"})
    assert sim.node("node1").status()["paused"]
    sim.run_for("31s")
    assert not sim.node("node1").status()["paused"]
    sim.apply_fault({"action": "crash", "target": ["node2"], "at": "10s"})
    assert sim.node("node2").status()["state"] == "running"
    sim.run_for("11s")
    assert sim.node("node2").status()["state"] != "running"
    with pytest.raises(outpost.ScenarioError, match=r"^step\.target"):
        sim.apply_fault({"action": "crash", "target": "nowhere"})
    with pytest.raises(outpost.ScenarioError, match=r"^step"):
        sim.apply_fault({"action": "explode", "target": "node1"})
    applied = [step["action"] for step in sim.result().raw["faults"]["python"]]
    assert applied == ["pause", "resume", "crash"]
    # A random shape draws its sides from the world's seed, and is healed with its "for".
    sim.apply_fault({"action": "partition", "shape": "halves", "for": "1m"})
    partition = sim.result().raw["faults"]["python"][-1]
    assert partition["action"] == "partition" and len(partition["groups"]) == 2
    sim.heal_all()
    assert sim.converge("10m")


def test_check_scenario_names_the_scenario_or_the_field():
    assert outpost.check_scenario({"name": "tiny", "topology": {"tree": {"depth": 1, "fanout": 1}}}) == "tiny"
    assert outpost.check_scenario(str(REPO / "scenarios" / "edge-factory.json")) == "edge-factory"
    with pytest.raises(outpost.ScenarioError, match=r"scenario\.duration"):
        outpost.check_scenario({"topology": {"tree": {"depth": 1, "fanout": 1}}, "duration": "soon"})


@pytest.mark.skipif(not os.path.exists(os.environ.get("OUTPOST_BIN", "")), reason="needs build/bin/outpost")
def test_a_scenario_run_from_python_replays_as_outpost_sim_run(tmp_path):
    import subprocess
    scenario = REPO / "scenarios" / "edge-factory.json"
    sim = outpost.Simulation(str(scenario), seed=3)
    result = sim.run_all("10m")
    report = tmp_path / "run.json"
    subprocess.run([os.environ["OUTPOST_BIN"], "sim", "run", str(scenario), "--seed", "3", "--duration", "10m",
                    "--report", str(report)], check=False, capture_output=True, timeout=300)
    run = json.loads(report.read_text())["runs"][0]
    assert run["traceHash"] == result.trace_hash
    assert sim.replay_command.endswith(f"{scenario} --seed 3 --duration 10m --network direct")


@pytest.mark.skipif(not os.path.exists(os.environ.get("OUTPOST_BIN", "")), reason="needs build/bin/outpost")
@pytest.mark.parametrize("args", [["run", "--duration", ""], ["run", "--report", ""], ["run", "--trace", ""],
                                  ["run", "--seeds", ""], ["run", "--network", ""], ["shrink", "--duration", ""],
                                  ["shrink", "--output", ""]])
def test_an_empty_option_value_is_a_usage_error_not_the_option_left_out(args):
    # `--duration ''` once ran the scenario's own duration, as if the option had not been given.
    import subprocess
    verb, *rest = args
    done = subprocess.run([os.environ["OUTPOST_BIN"], "sim", verb, str(REPO / "scenarios" / "edge-factory.json"),
                           *rest], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert f"{rest[0]}: must not be empty" in done.stderr


def test_the_verdict_names_the_fault_in_force_whoever_applied_it():
    # A partition, or a link-down given as a fault step, explains a node that lags as a Link.down() does (once:
    # "no fault in force here: sync has not caught up").
    sim = outpost.Simulation(outpost.tree(2, 1), seed=4)
    sim.build()
    with sim.partition(["node1n1"]):
        sim.cloud.push("apps/demo", "v1")
        behind = sim.converge("1m")
        assert "its uplink is down (partition)" in behind.nodes["node1n1"].reasons, behind.why
    assert sim.converge("5m")
    sim.apply_fault({"action": "link-down", "target": "node1"})
    assert sim.link("node1").is_down
    sim.cloud.push("apps/demo", "v2")
    behind = sim.converge("1m")
    assert "its uplink is down (link-down)" in behind.nodes["node1"].reasons, behind.why
    assert "ancestor node1's uplink is down (link-down)" in behind.nodes["node1n1"].reasons, behind.why


def test_link_down_after_a_link_up_step_cuts_the_link_again():
    # Link.down() once returned early when the package believed the link was still down after a link-up step.
    sim = outpost.Simulation(outpost.tree(1, 1), seed=4)
    sim.build()
    sim.link("node1").down()
    sim.apply_fault({"action": "link-up", "target": "node1"})
    assert not sim.link("node1").is_down
    sim.link("node1").down()
    assert sim.link("node1").is_down
    sim.cloud.push("apps/demo", "v1")
    assert not sim.converge("1m")
    sim.link("node1").up()
    assert sim.converge("5m")


@pytest.mark.skipif(not os.path.exists(os.environ.get("OUTPOST_BIN", "")), reason="needs build/bin/outpost")
def test_sim_command_line_refusals_come_before_any_run(tmp_path):
    import subprocess

    def sim(*args):
        return subprocess.run([os.environ["OUTPOST_BIN"], "sim", *args], capture_output=True, text=True, timeout=120)

    # A negative seed once wrapped around to 2^64 - 1 and ran.
    done = sim("run", str(REPO / "scenarios" / "edge-factory.json"), "--seed", "-1", "--duration", "1m")
    assert done.returncode == 2 and "is not a seed" in done.stderr
    # A seed is decimal: "010" ran seed 8 (CLI11 reads base 0), and "0x10" seed 16.
    done = sim("run", str(REPO / "scenarios" / "edge-factory.json"), "--seed", "010", "--duration", "1m")
    assert done.returncode == 0 and done.stdout.startswith("seed 10:"), done.stdout
    done = sim("run", str(REPO / "scenarios" / "edge-factory.json"), "--seed", "0x10", "--duration", "1m")
    assert done.returncode == 2 and "not a whole number in decimal digits" in done.stderr
    # And one past 2^64 - 1 was clamped to it.
    done = sim("run", str(REPO / "scenarios" / "edge-factory.json"), "--seed", "18446744073709551616")
    assert done.returncode == 2 and "is not a seed" in done.stderr
    # A trace that cannot be written was a failed seed (exit 1, read as a broken invariant) after the run.
    done = sim("run", str(REPO / "scenarios" / "edge-factory.json"), "--duration", "1m", "--trace",
               str(tmp_path / "missing" / "t.json"))
    assert done.returncode == 2 and "cannot write the trace" in done.stderr and "seed 1" not in done.stdout
    # A duration that is one, but not longer than zero, says so.
    done = sim("run", str(REPO / "scenarios" / "edge-factory.json"), "--duration", "-5m")
    assert done.returncode == 2 and "'-5m' must be longer than zero" in done.stderr
    # A number no double holds is bad JSON, named with the file; it was nlohmann's "[json.exception.out_of_range.406]".
    (tmp_path / "huge.json").write_text('{"seed": 1e400}')
    done = sim("run", str(tmp_path / "huge.json"))
    assert done.returncode == 2, done.stderr
    assert "huge.json is not valid JSON: number overflow" in done.stderr and "json.exception" not in done.stderr
    # A heal that names no partition in effect does nothing: it said nothing of it.
    scenario = json.loads((REPO / "scenarios" / "edge-factory.json").read_text())
    scenario["topology"]["file"] = str(REPO / "scenarios" / "topologies" / "edge-factory.json")
    scenario["faults"] = {"timeline": [
        {"at": "1m", "action": "partition", "groups": [["cloud", "store"], ["factory", "line1"]]},
        {"at": "2m", "action": "heal", "target": "factory"}]}
    (tmp_path / "heal.json").write_text(json.dumps(scenario))
    done = sim("run", str(tmp_path / "heal.json"), "--duration", "5m")
    assert "warning: " in done.stderr and "timeline[1]: the heal at 2m names no partition in effect" in done.stderr
    # A scenario its network cannot run is refused by shrink as by run, not shrunk as if it failed.
    done = sim("shrink", str(REPO / "scenarios" / "fault-tour.json"), "--seed", "1", "--network", "direct",
               "-o", str(tmp_path / "out.json"))
    assert done.returncode == 2 and "needs the simulated network" in done.stderr
    assert not (tmp_path / "out.json").exists()
    # Where the shrunk scenario goes is checked before the search.
    done = sim("shrink", str(REPO / "scenarios" / "edge-factory.json"), "--seed", "1", "-o",
               str(tmp_path / "missing" / "out.json"))
    assert done.returncode == 2 and "is not a directory" in done.stderr and "run 1" not in done.stdout
    # The scenario itself is not a place to write: the failing plan it holds was lost under its shrunk one.
    (tmp_path / "late-cut.json").write_text((REPO / "tests" / "sim" / "late-cut.json").read_text())
    original = (tmp_path / "late-cut.json").read_text()
    done = sim("shrink", str(tmp_path / "late-cut.json"), "--seed", "2", "-o", str(tmp_path / "." / "late-cut.json"))
    assert done.returncode == 2 and "it is the scenario being shrunk" in done.stderr, done.stderr
    assert (tmp_path / "late-cut.json").read_text() == original
    # A non-JSON file read without end is refused at a bound, not read until memory runs out.
    done = sim("run", "/dev/zero")
    assert done.returncode == 2 and "larger than" in done.stderr, done.stderr


def test_a_second_thread_cannot_read_a_world_while_a_call_runs_it():
    # Reads (time, events, the result, the trace) once took no lock and raced the engine while another thread's
    # run_for() ran it; now they are refused as a second call is, and they work again once the call returned.
    # A read under way when the call starts makes the call wait for it, not fail (a reader once made run_for() fail).
    import threading
    sim = outpost.Simulation(outpost.tree(2, 2), seed=6)
    sim.build()
    failures = []

    def run():
        try:
            sim.run_for("6h")
        except RuntimeError as failure:
            failures.append(str(failure))

    running = threading.Thread(target=run)
    refused = answered = 0
    running.start()
    while running.is_alive():
        try:
            sim.now
            answered += 1
        except RuntimeError as busy:
            assert "another thread" in str(busy)
            refused += 1
    running.join()
    assert failures == []
    assert refused > 0
    assert sim.now >= 6 * 3600 and sim.result().trace_hash == sim.trace_hash


def test_time_and_events_read_as_they_stood_once_closed():
    sim = outpost.Simulation(outpost.tree(1, 1), seed=6)
    sim.run_for("10m")
    now, events = sim.now, sim.events
    sim.close()
    assert sim.now == now and sim.events == events


def test_a_run_past_the_last_countable_instant_is_refused_not_skipped():
    # run_for("106751d") after a day wrapped the end instant negative: nothing ran and nothing was said. ISO text had
    # no bound at all.
    with pytest.raises(ValueError, match="292 years"):
        outpost.to_nanoseconds("P106752D")
    sim = outpost.Simulation(outpost.tree(1, 1), seed=1)
    sim.run_for("1d")
    with pytest.raises(ValueError, match="last instant the simulator counts"):
        sim.run_for("106751d")
    with pytest.raises(ValueError, match="last instant the simulator counts"):
        sim.converge("106751d")
    assert sim.now == 86400.0
    sim.run_for("1h")  # the session is still usable
    assert sim.now == 90000.0


def _run_interrupted(sim, duration, signal_module, raising):
    """run_for(duration) with an alarm 50 ms into it whose handler raises `raising`; returns once an alarm stopped
    the run inside the engine. An alarm that rings before the call has entered the engine stops nothing (virtual
    time has not moved): the call is made again, a few times at most."""
    begin = sim._now_ns()
    for _ in range(5):
        signal_module.setitimer(signal_module.ITIMER_REAL, 0.05)
        with pytest.raises(raising):
            sim.run_for(duration)
        if sim._now_ns() > begin:
            return
    pytest.fail("five alarms in a row rang before run_for() began")


def test_a_signal_stops_a_long_run_between_events_and_the_run_goes_on_as_if_it_had_not():
    # A Python signal handler (Ctrl-C's, which raises KeyboardInterrupt) used to run only once run_for() returned:
    # a month of virtual time ran to its end first. Now the engine asks every 20,000 events, stops between two
    # events, and raises the handler's own exception; the world is whole, so the same seed run straight through
    # gives the same trace.
    import signal

    class Stop(Exception):
        pass

    def stop(signum, frame):
        raise Stop()

    previous = signal.signal(signal.SIGALRM, stop)
    try:
        sim = outpost.Simulation(outpost.tree(1, 2), seed=3)
        sim.build()
        begin = sim._now_ns()
        _run_interrupted(sim, "30d", signal, Stop)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    day = 86400 * 10**9
    stopped = sim._now_ns()
    assert begin < stopped < begin + day  # a month takes about half a minute here; it stopped within a day
    seconds, rest = divmod(begin + day - stopped, 10**9)
    sim.run_for(f"PT{seconds}.{rest:09d}S")  # on to a day after the build, from where it stopped

    straight = outpost.Simulation(outpost.tree(1, 2), seed=3)
    straight.build()
    straight.run_for("1d")
    assert straight._now_ns() == sim._now_ns() == begin + day
    assert straight.events == sim.events
    assert straight.trace_hash == sim.trace_hash
    assert sim.result().ok, sim.result().violations


def test_wrong_arguments_raise_the_documented_classes(tmp_path, monkeypatch):
    sim = outpost.Simulation(outpost.tree(1, 2), seed=6)
    sim.build()
    # An unknown name is an outpost.Error, a ValueError (a bad argument) and, as a lookup, a KeyError.
    for unknown in (lambda: sim.node("nope"), lambda: sim.link("nope"), lambda: sim.partition(["nope"])):
        with pytest.raises(outpost.UnknownName, match="no connected registry named 'nope'") as raised:
            unknown()
        assert isinstance(raised.value, (ValueError)) and isinstance(raised.value, KeyError)
    with pytest.raises(outpost.UnknownName):
        sim.topology.subtree("nope")  # once answered ["nope"]
    with pytest.raises(ValueError, match="a repository is a name"):
        sim.cloud.push(5, "v1")  # once made a repository "5"
    with pytest.raises(ValueError, match="not one name"):
        sim.partition("node1")  # once read as the names 'n', 'o', 'd', 'e', '1'
    with pytest.raises(ValueError, match="must not be negative"):
        sim.converge(-1)
    with pytest.raises(ValueError, match="the other side would be empty"):
        sim.partition(sim.names)  # once "name its targets", though every node was named
    with pytest.raises(ValueError, match="slow: the extra latency must not be negative"):
        sim.link("node1").slow(-1)  # once "'PT-1.000000000S' is not a duration"
    with pytest.raises(outpost.ScenarioError, match="^step: "):
        sim.apply_fault("crash")
    # A bandwidth past the model's 2^46 B/s was accepted here and refused at build() naming no field.
    with pytest.raises(outpost.ScenarioError, match=r"defaultLink\.bandwidth: is above 70368744177664 B/s"):
        outpost.tree(1, 1).set_default_link(bandwidth=2**47)
    # pybind's own TypeErrors named no argument (and printed the whole scenario); the variable was not named either.
    with pytest.raises(ValueError, match="trace None: 'last', 'all' or 'none'"):
        outpost.Simulation(outpost.tree(1, 1), trace=None)
    with pytest.raises(ValueError, match="log level None"):
        outpost.set_log_level(None)
    monkeypatch.setenv("OUTPOST_SEED", "seven")
    with pytest.raises(ValueError, match="OUTPOST_SEED='seven' is not a seed"):
        outpost.Simulation(outpost.tree(1, 1))
    monkeypatch.delenv("OUTPOST_SEED")
    for bad in (float("inf"), float("nan"), 10**12):
        with pytest.raises(ValueError):
            outpost.to_nanoseconds(bad)
    # A repository list given as one string, an empty one, or a name no registry takes: refused up front.
    with pytest.raises(outpost.ScenarioError, match="not one string"):
        outpost.tree(1, 1, repositories="apps/*")
    with pytest.raises(outpost.ScenarioError, match="at least one repository"):
        outpost.tree(1, 1, repositories=[])
    with pytest.raises(outpost.ScenarioError, match=r"repositories\[0\]: 'BAD REPO'"):
        outpost.tree(1, 1, repositories=["BAD REPO"])
    scenario = tmp_path / "tiny.json"
    scenario.write_text(json.dumps({"name": "tiny", "topology": {"tree": {"depth": 1, "fanout": 1}}}))
    assert outpost.check_scenario(scenario) == "tiny"  # a PathLike, as everywhere else


def test_names_a_url_cannot_hold_are_sent_encoded_and_refused_by_the_registry():
    # The live client refused to send "bad tag!" (TransportError) and sent "apps/x?y" as a query: the same call
    # differed between the worlds. Encoded, both registries refuse the name itself.
    sim = outpost.Simulation(outpost.tree(1, 1), seed=6)
    sim.build()
    with pytest.raises(outpost.Invalid) as refused:
        sim.cloud.push("apps/demo", "bad tag!")
    assert refused.value.code == "TAG_INVALID"
    with pytest.raises(outpost.Invalid) as refused:
        sim.cloud.client().tags("apps/x?y")
    assert refused.value.code == "NAME_INVALID"


def test_run_scenario_names_an_item_that_would_fire_too_often_at_its_duration():
    scenario = {"name": "busy", "duration": "2h", "topology": {"tree": {"depth": 1, "fanout": 1}},
                "workload": [{"action": "pull", "node": "node1", "every": "1ms"}]}
    sim = outpost.Simulation(scenario, seed=6)
    with pytest.raises(outpost.ScenarioError, match=r"^scenario\.workload\[0\]: fires 10799999 times"):
        sim.run_scenario("3h")


def test_outpost_sim_run_is_offered_only_when_it_replays_the_run(tmp_path, monkeypatch):
    # A settle without the run phase, or a settle twice, once still offered `outpost sim run`, which runs the
    # scenario's own phases and so gives another trace hash; and the command named build/bin/outpost whatever
    # executable OUTPOST_BIN named.
    scenario = {"name": "small", "duration": "2m", "settle": "2m", "topology": {"tree": {"depth": 1, "fanout": 1}},
                "workload": [{"action": "push", "node": "cloud", "repository": "apps/x", "every": "30s"}]}
    path = tmp_path / "small.json"
    path.write_text(json.dumps(scenario))
    executable = tmp_path / "bin with space" / "outpost"
    executable.parent.mkdir()
    executable.write_text("#!/bin/sh\nexit 0\n")
    executable.chmod(0o755)
    monkeypatch.setenv("OUTPOST_BIN", str(executable))
    monkeypatch.setattr(outpost.Simulation, "replay_template", "the script with OUTPOST_SEED={seed}")

    whole = outpost.Simulation(str(path), seed=3)
    result = whole.run_all()
    assert whole.replay_command == result.replay_command == (
        f"'{executable}' sim run {path} --seed 3 --network direct")

    settled = outpost.Simulation(str(path), seed=3)
    assert settled.settle().replay_command == "the script with OUTPOST_SEED=3"
    assert settled.trace_hash != whole.trace_hash     # what `sim run` would give is another run

    twice = outpost.Simulation(str(path), seed=3)
    twice.run_scenario()
    assert twice.settle().trace_hash == whole.trace_hash and " sim run " in twice.replay_command
    twice.settle()
    assert twice.trace_hash != whole.trace_hash
    assert twice.replay_command == twice.result().replay_command == "the script with OUTPOST_SEED=3"


def test_a_password_regenerated_through_a_connection_string_is_remembered():
    # The password shown once in the new connection string was not remembered, unlike every other password the
    # control plane shows.
    sim = outpost.Simulation(outpost.tree(1, 1), seed=5)
    answer = sim.connected_registries.connection_string("node1", "password2")
    shown = [entry["value"] for entry in answer["syncToken"]["passwords"] if entry["name"] == "password2"]
    assert len(shown) == 1 and f"SyncTokenPassword={shown[0]};" in answer["connectionString"]
    assert sim.tokens.password("node1-sync-token", "password2") == shown[0]


def test_topology_names_and_link_values_are_checked_at_the_call():
    # An unknown name reads as a leaf (children) or waited for the build (set_nic), and a bad link or NIC value was
    # found only when a Simulation was built from the topology.
    topology = outpost.tree(1, 2)
    before = topology.to_dict()
    for call in (lambda: topology.children("ghost"), lambda: topology.set_nic("ghost", "10Mbit/s"),
                 lambda: topology.set_link("ghost", latency="5ms")):
        with pytest.raises(outpost.UnknownName, match="'ghost'"):
            call()
    refusals = [(lambda: topology.set_link("node1", bandwidth="fast"), r"links\.node1\.bandwidth: must be a rate"),
                (lambda: topology.set_link("node2", latency=-1), r"links\.node2\.latency: must not be negative"),
                (lambda: topology.set_default_link(jitter="soon"), r"defaultLink\.jitter: 'soon' is not a duration"),
                (lambda: topology.set_nic("cloud", "fast"), r"nics\.cloud\.bandwidth: must be a rate"),
                (lambda: topology.set_nic("node1", 0.5), r"nics\.node1\.bandwidth"),
                (lambda: topology.set_default_link(bandwidth=float("nan")), r"defaultLink: .*NaN")]
    for call, message in refusals:
        with pytest.raises(outpost.ScenarioError, match=message):  # a ValueError
            call()
    assert topology.to_dict() == before                             # nothing refused was kept
    assert topology.children("node1") == [] and topology.children() == ["node1", "node2"]
    topology.set_default_link(latency="5ms").set_link("node1", latency=0.02, bandwidth="10Mbit/s")
    topology.set_nic("cloud", "1Gbit/s")
    assert topology.to_dict()["links"] == {"node1": {"latency": "20ms", "bandwidth": "10Mbit/s"}}
    assert outpost.Simulation(topology, seed=1, network="simulated").build()


def test_a_toxic_name_and_numbers_are_checked_at_the_call():
    # name="" silently became the default name, and a NaN reached the world as JSON it could not parse.
    net = outpost.Simulation(outpost.tree(1, 1), seed=6, network="simulated")
    uplink = net.link("node1")
    refusals = [(dict(name="", latency=10), "toxic name ''"),
                (dict(name="two words", latency=10), "toxic name 'two words'"),
                (dict(name="..", latency=10), r"toxic name '\.\.': .* other than \. and \.\."),
                (dict(toxicity=float("nan"), latency=10), "toxicity nan: a finite number"),
                (dict(toxicity=1.5, latency=10), "toxicity 1.5: a number from 0.0 to 1.0"),
                (dict(latency=float("inf")), "latency inf: a finite number")]
    for arguments, message in refusals:
        with pytest.raises(ValueError, match=message):
            uplink.add_toxic("latency", **arguments)
    with pytest.raises(outpost.ScenarioError, match="^step: NaN"):
        net.apply_fault({"action": "toxic", "target": "node1",
                         "toxic": {"type": "latency", "toxicity": float("nan"), "attributes": {"latency": 10}}})
    assert uplink.toxics() == []
    assert uplink.add_toxic("latency", name="slow.1", latency=10) == "slow.1"


def test_a_link_model_fault_on_the_direct_network_is_not_supported_whichever_call_asks():
    # Link.add_toxic raised FaultNotSupported, the same toxic as a fault step a ScenarioError; a step due later was
    # taken, and failed in the run_for that reached it.
    sim = outpost.Simulation(outpost.tree(2, 1), seed=7)
    for step in ({"action": "toxic", "target": "node1", "toxic": {"type": "latency", "attributes": {"latency": 10}}},
                 {"action": "partition", "shape": "subtree", "target": "node1", "direction": "one-way"},
                 {"action": "stop", "target": "node1", "at": "10s"},
                 {"action": "lost-responses", "target": "node1", "attributes": {"toxicity": 0.5}}):
        with pytest.raises(outpost.FaultNotSupported, match="simulated network"):
            sim.apply_fault(step)
    with pytest.raises(outpost.FaultNotSupported, match="simulated network"):
        sim.link("node1").add_toxic("latency", latency=10)
    sim.run_for("1m")                                   # nothing was left behind to fail later
    with pytest.raises(outpost.ScenarioError, match=r"^step\.toxic\.type"):
        sim.apply_fault({"action": "toxic", "target": "node1", "toxic": {"type": "bogus"}})
    sim.apply_fault({"action": "toxic", "target": "node1", "toxic": {"type": "down"}, "for": "10s"})  # a cut: fine
    sim.cloud.push("apps/demo", "v1")
    assert sim.converge("5m")


def test_a_connected_registry_deleted_with_cleanup_is_known_to_the_checks():
    """The mirror of the control plane took `?cleanup=true` as part of the name: the delete went unmodelled, and the
    checks then judged the removed sync token's refusal a violation ("the oracle says allowed")."""
    sim = outpost.Simulation(outpost.tree(1, 1), seed=3)
    sim.build()
    created = sim.connected_registries.create("leafx", parent="node1", repositories=["apps/*"])
    password = created["syncToken"]["passwords"][0]["value"]
    sim.run_for("2m")  # node1 learns its new child's sync token
    assert sim.node("node1").client("leafx-sync-token", password).request("GET", "/v2/").status == 200
    sim.connected_registries.delete("leafx", cleanup=True)
    sim.run_for("5m")
    assert sim.node("node1").client("leafx-sync-token", password).request("GET", "/v2/").status == 401
    result = sim.result()
    assert result.invariants["unmodelledChanges"] == []
    assert result.ok, str(result)


def test_heal_all_ends_a_step_with_for_and_its_undo_with_it():
    """A step's `for` schedules its undo; heal_all() ended the fault but left the undo, which then ended a later fault
    of the same kind: here a new link-down, lifted by the old step's link-up."""
    sim = outpost.Simulation(outpost.tree(1, 1), seed=4)
    sim.build()
    link = sim.link("node1")
    sim.apply_fault({"action": "link-down", "target": "node1", "for": "1m"})
    sim.run_for("10s")
    sim.heal_all()
    sim.run_for("10s")
    link.down()
    sim.run_for("50s")  # past the old step's end
    assert link.is_down
    link.up()
    assert not link.is_down


def test_a_full_disk_explains_why_a_node_lags():
    """The verdict named process state, pauses and uplink faults, not a full disk: "no fault in force here"."""
    sim = outpost.Simulation(outpost.tree(1, 1), seed=3)
    sim.build()
    sim.node("node1").fill_disk()
    assert sim.node("node1").status()["diskFull"] is True
    sim.cloud.push("apps/demo", "c1")
    verdict = sim.converge("1m")
    assert not verdict
    assert "its disk is full" in verdict.why, verdict.why


def test_a_wrongly_typed_request_is_refused_without_showing_the_credentials():
    """A str body reached the engine, which refused it with every argument printed: the Authorization header, the
    admin password in base64, among them."""
    sim = outpost.Simulation(outpost.tree(1, 1), seed=2)
    sim.build()
    client = sim.cloud.client()
    for call in (lambda: client.request("PUT", "/v2/", body="text"),
                 lambda: client.request("GET", "/v2/", headers=[("Accept", 1)])):
        with pytest.raises(TypeError) as refused:
            call()
        assert "Basic" not in str(refused.value) and "Authorization" not in str(refused.value)
    assert client.request("GET", "/v2/", body=bytearray()).status == 200


def test_arguments_the_engine_cannot_take_are_value_errors_naming_them():
    """Each reached the engine and came back as pybind's "incompatible function arguments" TypeError."""
    for call in (lambda: outpost.Simulation(outpost.tree(1, 1), seed=2**64),
                 lambda: outpost.Simulation(outpost.tree(1, 1), trace_records=-1),
                 lambda: outpost.tree(2**40, 1),
                 lambda: outpost.tree(1, 1, modes=[None]),
                 lambda: outpost.tree(1, 1, repositories=[1])):
        with pytest.raises(ValueError) as refused:
            call()
        assert "incompatible" not in str(refused.value)


def test_a_tree_in_a_scenario_is_as_deep_as_outpost_tree_allows():
    """The scenario form refused depth 13 while outpost.tree(13, 1) built it; only the names' 40 characters limit it."""
    assert len(outpost.load_topology({"tree": {"depth": 13, "fanout": 1}}).names) == 13
    with pytest.raises(outpost.ScenarioError, match="longer than 40 characters"):
        outpost.load_topology({"tree": {"depth": 19, "fanout": 1}})


def test_a_node_crashed_then_restarted_at_once_serves_at_once():
    """crash() left the node crashing until time moved, so a restart() right after it did nothing yet: the node
    refused connections, and status() said "crashing" and ready together."""
    sim = outpost.Simulation(outpost.tree(1, 1), seed=2)
    sim.build()
    sim.cloud.push("apps/a", "v")
    assert sim.converge("1m")
    node = sim.node("node1")
    node.crash()
    assert node.status()["state"] == "down"
    node.restart()
    assert node.status()["state"] == "running"
    assert node.tags("apps/a") == ["v"]


def test_a_crash_step_leaves_the_node_down_as_crash_does():
    """apply_fault({"action": "crash"}) left the node "crashing" until time moved; Node.crash() did not."""
    sim = outpost.Simulation(outpost.tree(1, 1), seed=2)
    sim.build()
    sim.apply_fault({"action": "crash", "target": "node1"})
    assert sim.node("node1").status()["state"] == "down"
    sim.node("node1").restart()
    assert sim.node("node1").status()["state"] == "running"


def test_a_heal_step_drops_the_ends_of_link_steps_but_not_a_crashs():
    """Only heal_all() and settle() counted as heals: after a `heal` step, a new link-down was lifted by an older
    link step's `for`-end. A heal of the links ends no node fault, so a crash's restart still comes at its end."""
    sim = outpost.Simulation(outpost.tree(1, 1), seed=4)
    sim.build()
    link, node = sim.link("node1"), sim.node("node1")
    sim.apply_fault({"action": "link-down", "target": "node1", "for": "1m"})
    sim.apply_fault({"action": "crash", "target": "node1", "for": "1m"})
    sim.run_for("10s")
    sim.apply_fault({"action": "heal"})
    assert not link.is_down and node.status()["state"] == "down"
    sim.run_for("10s")
    link.down()
    sim.run_for("50s")  # past both steps' ends
    assert link.is_down
    assert node.status()["state"] == "running"


def test_heal_all_before_a_step_begins_keeps_its_for():
    """The heals were counted when the step was given, not when it began: a heal_all() before a step due later
    dropped that step's end, and its link stayed down for good."""
    sim = outpost.Simulation(outpost.tree(1, 1), seed=4)
    sim.build()
    sim.apply_fault({"action": "link-down", "target": "node1", "at": "1m", "for": "1m"})
    sim.heal_all()
    sim.run_for("90s")
    assert sim.link("node1").is_down
    sim.run_for("1m")
    assert not sim.link("node1").is_down


def test_a_skew_from_python_meets_the_scenario_bound():
    """Node.skew() skipped the 36500-day bound a scenario's clock-skew step has; 100000 days overflowed the clock."""
    sim = outpost.Simulation(outpost.tree(1, 1), seed=1)
    sim.build()
    for skew in ("100000d", "-100000d"):
        with pytest.raises(ValueError, match="36500 days"):
            sim.node("node1").skew(skew)
    sim.node("node1").skew("36500d")


def test_down_toxics_of_fault_steps_are_listed_and_removable():
    """A `down` toxic added by a fault step was missing from Link.toxics() and remove_toxic() said False; one removed
    by a step was still listed."""
    sim = outpost.Simulation(outpost.tree(1, 1), seed=1)
    sim.build()
    link = sim.link("node1")
    sim.apply_fault({"action": "toxic", "target": "node1", "toxic": {"type": "down", "name": "cut"}})
    assert [toxic["name"] for toxic in link.toxics()] == ["cut"]
    assert link.remove_toxic("cut")
    assert link.toxics() == []
    link.add_toxic("down", name="gone")
    sim.apply_fault({"action": "remove-toxic", "target": "node1", "toxic": {"name": "gone"}})
    assert link.toxics() == []
    sim.apply_fault({"action": "toxic", "target": "node1", "toxic": {"type": "down", "name": "brief"}, "for": "1m"})
    sim.run_for("2m")
    assert link.toxics() == []


def test_a_duration_the_command_would_refuse_is_replayed_in_its_exact_form(tmp_path):
    """run_scenario("1.5m") put "--duration 1.5m" in the replay command, which `outpost sim run` refuses."""
    scenario = {"name": "small", "duration": "5m", "settle": "5m", "topology": {"tree": {"depth": 1, "fanout": 1}}}
    path = tmp_path / "small.json"
    path.write_text(json.dumps(scenario))
    sim = outpost.Simulation(str(path), seed=2)
    sim.build()
    sim.run_scenario("1.5m")
    sim.settle()
    words = shlex.split(sim.replay_command)
    assert _outpost.parse_duration_ns(words[words.index("--duration") + 1]) == 90 * 10**9
