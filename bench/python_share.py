"""Python's share of a scenario's wall time (issue goal: under 5% of a typical scenario).

A typical scripted scenario: a tree of depth 3 and fanout 2 on the simulated network, twenty pushes of two-layer
images, a cut uplink every fifth push, tag listings, a crash and restart, then convergence. `Simulation.timing()`
says how much of the simulation's lifetime ran in the engine; the rest is Python (the script, building images,
marshalling requests and answers).

    PYTHONPATH=build/python /usr/bin/python3 bench/python_share.py [--runs 5]
"""
from __future__ import annotations

import argparse
import statistics

import outpost


def one_run(seed: int) -> dict:
    topology = outpost.tree(3, 2).set_default_link(latency="20ms", bandwidth="100Mbit/s")
    sim = outpost.Simulation(topology, seed=seed, network="simulated")
    for i in range(20):
        sim.cloud.push("apps/demo", f"v{i}", {"layers": [64 * 1024, 256 * 1024]})
        if i % 5 == 0:
            sim.link("node1").down()
            sim.run_for("30s")
            sim.link("node1").up()
        if i > 3:
            sim.node("node2").client().tags("apps/demo")
        sim.run_for("10s")
    sim.node("node1n1").crash()
    sim.run_for("1m")
    sim.node("node1n1").restart()
    sim.converge("10m").check()
    timing = sim.timing()
    sim.close()
    return timing


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    shares = []
    for seed in range(1, args.runs + 1):
        timing = one_run(seed)
        shares.append(timing["python_share"])
        print(f"seed {seed}: wall {timing['wall']:.3f} s, engine {timing['engine']:.3f} s, "
              f"Python {timing['python_share'] * 100:.1f}%")
    print(f"median Python share {statistics.median(shares) * 100:.1f}% over {args.runs} runs")


if __name__ == "__main__":
    main()
