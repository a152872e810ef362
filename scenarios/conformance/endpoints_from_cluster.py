#!/usr/bin/python3
"""Writes the conformance runner's endpoints file for a cluster started with `outpost cluster up`.

    scenarios/conformance/endpoints_from_cluster.py CLUSTER_DIR [-o endpoints.json] [--propagation 30]

CLUSTER_DIR/cluster.json (written by `outpost cluster up`, docs/connected-registries.md) names every node's client
address, the admin password, each connected registry's client tokens (with their actions and passwords) and its sync
token. The endpoints file keeps exactly what a user of the deployment would be given: addresses and credentials,
nothing about processes, proxies or data directories.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path


def endpoints_from_cluster(info: dict, propagation: float, request: float) -> dict:
    if info.get("state") != "up":
        raise ValueError(f"the cluster's state is {info.get('state')!r}, not 'up'")
    cloud = info["nodes"]["cloud"]
    document = {
        "name": info.get("name", "cluster"),
        "cloud": {
            "url": cloud["url"],
            "admin": {"username": info["admin"]["username"], "password": info["admin"]["password"]},
        },
        "connectedRegistries": [],
        "timeouts": {"request": request, "propagation": propagation, "poll": 0.1},
    }
    if cloud.get("dataEndpoint"):
        document["cloud"]["dataEndpoint"] = f"http://{cloud['dataEndpoint']}"
    for name, node in info["nodes"].items():
        if node.get("role") != "connected-registry":
            continue
        entry = {
            "name": name,
            "url": node["url"],
            "mode": node["mode"],
            "parent": node["parent"],
            "repositories": node["repositories"],
            "clientTokens": [{"name": t["name"], "password": t["password"], "actions": t["actions"]}
                             for t in node.get("clientTokens", [])],
        }
        if node.get("syncToken"):
            entry["syncToken"] = {"name": node["syncToken"]["name"], "password": node["syncToken"]["password"]}
        document["connectedRegistries"].append(entry)
    return document


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cluster_dir", type=Path, help="the directory `outpost cluster up --dir` used")
    parser.add_argument("-o", "--output", type=Path, help="write here (default: standard output)")
    parser.add_argument("--propagation", type=float, default=30.0,
                        help="seconds a change may take to reach every node (timeouts.propagation)")
    parser.add_argument("--request", type=float, default=10.0, help="seconds per HTTP request (timeouts.request)")
    args = parser.parse_args(argv)
    try:
        info = json.loads((args.cluster_dir / "cluster.json").read_text())
        document = endpoints_from_cluster(info, args.propagation, args.request)
    except (OSError, ValueError, KeyError) as e:
        print(f"endpoints_from_cluster: {args.cluster_dir}: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    text = json.dumps(document, indent=2) + "\n"
    if args.output:
        # It holds passwords, like cluster.json: readable by its owner only, from the first byte.
        descriptor = os.open(args.output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as out:
            out.write(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
