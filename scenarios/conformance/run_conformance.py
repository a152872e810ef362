#!/usr/bin/python3
"""Runs the conformance suite against a deployment it starts itself, and judges the report. Used by CTest.

    run_conformance.py cluster      [--topology FILE] [--keep]   # an `outpost cluster up` hierarchy: must pass
    run_conformance.py distribution [--keep]                     # Debian's docker-registry: must report failures

`cluster`: starts the topology (default scenarios/topologies/edge-factory.json) in a new temporary directory with
`outpost cluster up`, waits (bounded) until `outpost cluster status` shows every connected registry Online and
Active, writes the endpoints file from cluster.json, runs `pytest scenarios/conformance`, and stops the cluster with
`outpost cluster down` whatever happened. It requires pytest to pass and the JSON report to show clauses of SPEC
sections 1, 3, 4, 5 and 6 holding, none failing; then, against the same cluster, that the runner stops before any
check, with a usage error and the reason in both reports, when the endpoints file is wrong (a refused password,
addresses that do not answer, mistakes in the file), and that without `cloud.admin` the checks that need it are
skipped saying what to add.

`distribution`: starts a plain CNCF Distribution registry (`docker-registry`, filesystem storage in a temporary
directory, 127.0.0.1 on a port the kernel chooses, deletes enabled as in Debian's default configuration, no auth),
runs the suite with an endpoints file naming only its URL, and stops it. pytest is expected to fail; the driver
requires that it ran to its end (exit status 1, not a usage or internal error), that the report lists failing clauses
(3.4: no authentication), that the OCI core held (6.1 passed somewhere), that every check of connected registries
was skipped with a reason, and that no check errored (crashed) instead of passing, failing or skipping.

Exit status 0 when the expectations hold, 1 otherwise, 77 when a prerequisite is missing (CTest SKIP_RETURN_CODE).
The outpost binary is $OUTPOST_BIN, else build/bin/outpost under the repository. Every wait polls with a deadline.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from xml.etree import ElementTree

import requests

from conformance_endpoints import EndpointsError, load_endpoints
from conformance_report import clause_key  # SPEC clauses in order: "3.4" before "10.1"

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
DEFAULT_TOPOLOGY = REPO / "scenarios" / "topologies" / "edge-factory.json"
SKIP = 77
UP_TIMEOUT = 30        # seconds for `outpost cluster up` to have every node ready
STATUS_TIMEOUT = 20    # seconds for every connected registry to report Online and Active at the cloud
PYTEST_TIMEOUT = 180   # seconds for the whole suite (4-12 s on a 2-core machine)
START_TIMEOUT = 20     # seconds for docker-registry to log its address and answer /v2/
STOP_GRACE = 5         # seconds between SIGTERM and SIGKILL
REQUIRED_SECTIONS = ("1", "3", "4", "5", "6")


class Failed(Exception):
    pass


def log(message: str) -> None:
    print(f"[conformance] {message}", flush=True)


def outpost_bin() -> Path:
    return Path(os.environ.get("OUTPOST_BIN") or REPO / "build" / "bin" / "outpost")


def clean_env() -> dict[str, str]:
    """No OUTPOST_* setting of the caller reaches the processes started here; no bytecode lands in the tree."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OUTPOST_")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def run(args: list[str], timeout: float, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """`args` logged, then run with its output captured."""
    log("$ " + " ".join(args))
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=clean_env())


def suite_command(endpoints: Path, report: Path, *extra: str) -> list[str]:
    """`pytest scenarios/conformance` against `endpoints`, its JSON report to `report`."""
    return [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *extra, str(HERE),
            f"--outpost-endpoints={endpoints}", f"--outpost-conformance-report={report}"]


def run_suite(endpoints: Path, work: Path) -> tuple[int, dict]:
    report = work / "conformance-report.json"
    args = suite_command(endpoints, report, "-rfE", f"--junitxml={work / 'conformance-junit.xml'}")
    log("$ " + " ".join(args))  # its output streams to the terminal, not captured as run() does
    completed = subprocess.run(args, cwd=REPO, timeout=PYTEST_TIMEOUT, env=clean_env())
    if not report.exists():
        raise Failed(f"pytest exited {completed.returncode} without writing {report.name}")
    return completed.returncode, json.loads(report.read_text())


def sections(report: dict, status: str) -> set[str]:
    return {clause.split(".")[0] for clause, row in report.items() if row["status"] == status}


# --- an Outpost cluster ----------------------------------------------------------------------------------------------


def wait_for_status(binary: Path, directory: Path) -> None:
    """`cluster up` returns once every node is ready; this waits until the cloud also shows each connected registry
    Online and Active (status reports travel up on their own schedule)."""
    deadline = time.monotonic() + STATUS_TIMEOUT
    last = ""
    while time.monotonic() < deadline:
        status = subprocess.run([str(binary), "cluster", "status", "--dir", str(directory), "--output", "json"],
                                capture_output=True, text=True, timeout=30, env=clean_env())
        if status.returncode == 0:
            nodes = json.loads(status.stdout)["nodes"]
            pending = [n["name"] for n in nodes if n["name"] != "cloud" and
                       (n.get("connectionState") != "Online" or n.get("activation") != "Active")]
            if not pending:
                return
            last = f"not yet Online and Active: {', '.join(pending)}"
        else:
            last = status.stderr.strip() or status.stdout.strip()
        time.sleep(0.2)
    raise Failed(f"the cluster did not report every registry Online and Active within {STATUS_TIMEOUT} s: {last}")


def logs_of(directory: Path) -> str:
    text = ""
    for path in sorted((directory / "logs").glob("*.log")):
        lines = path.read_text(errors="replace").splitlines()[-15:]
        text += f"\n--- {path.name} (last {len(lines)} lines)\n" + "\n".join(lines)
    return text


def against_cluster(work: Path, topology: Path) -> None:
    binary = outpost_bin()
    if not binary.exists():
        raise Failed(f"{binary} does not exist: build the `outpost` target (or set OUTPOST_BIN)")
    directory = work / "cluster"
    up = run([str(binary), "cluster", "up", str(topology), "--dir", str(directory), "--timeout", str(UP_TIMEOUT)],
             timeout=UP_TIMEOUT + 30)
    try:
        if up.returncode != 0:
            raise Failed(f"cluster up exited {up.returncode}\n{up.stdout}\n{up.stderr}{logs_of(directory)}")
        wait_for_status(binary, directory)
        sys.path.insert(0, str(HERE))
        from endpoints_from_cluster import endpoints_from_cluster
        endpoints = work / "endpoints.json"
        info = json.loads((directory / "cluster.json").read_text())
        endpoints.write_text(json.dumps(endpoints_from_cluster(info, propagation=20.0, request=10.0), indent=2))
        code, report = run_suite(endpoints, work)
        failing = sorted((c for c, row in report.items() if row["status"] == "fails"), key=clause_key)
        if code != 0 or failing:
            raise Failed(f"the suite failed against the cluster (pytest exit {code}; failing clauses: "
                         f"{', '.join(failing) or 'none'}){logs_of(directory)}")
        missing = [s for s in REQUIRED_SECTIONS if s not in sections(report, "holds")]
        if missing:
            raise Failed(f"the report shows no clause of SPEC section(s) {', '.join(missing)} holding")
        held = [c for c, row in report.items() if row["status"] == "holds"]
        log(f"pass: {len(held)} clauses hold ({', '.join(held)}); "
            f"unchecked: {', '.join(c for c, row in report.items() if row['status'] == 'unchecked') or 'none'}")
        refused_before_any_check(endpoints, work)
        unreachable_before_any_check(endpoints, work)
        endpoints_file_mistakes(endpoints, work)
        skipped_without_admin(endpoints, work)
    finally:
        if (directory / "cluster.json").exists():
            down = run([str(binary), "cluster", "down", "--dir", str(directory), "--grace", str(STOP_GRACE)],
                       timeout=STOP_GRACE + 60)
            if down.returncode != 0:
                log(f"cluster down exited {down.returncode}: {down.stdout}{down.stderr}")


def refused_before_any_check(endpoints: Path, work: Path) -> None:
    """A client token with a wrong password in the file: the runner stops before any check with a usage error
    (exit status 4) naming the token, and still writes its reports where it was told, into a directory it makes (a
    wrong password once failed 15 checks over two minutes and tripped the failed-login limit, and a report path in
    a missing directory failed the run at its end)."""
    document = json.loads(endpoints.read_text())
    registry = next(cr for cr in document["connectedRegistries"] if cr.get("clientTokens"))
    token = registry["clientTokens"][0]
    token["password"] += "-not-it"
    document.setdefault("timeouts", {})["propagation"] = 3.0   # asked again after 1 and 2 s, then given up
    wrong = work / "endpoints-wrong-password.json"
    wrong.write_text(json.dumps(document, indent=2))
    stopped_before_any_check(wrong, work / "not" / "yet" / "there", [
        f"refuses the endpoints file's client token {token['name']}"], f"a wrong password for {token['name']}")
    log(f"pass: a wrong password for {token['name']} at {registry['name']} stops the run before any check")


def unreachable_before_any_check(endpoints: Path, work: Path) -> None:
    """Two connected registries of the file that do not answer, one with client tokens listed and one without: the
    runner stops before any check with one message naming both, each with its URL (a registry without client tokens
    in the file was not asked, and each of some twenty checks that needed it failed on its own; of several that did
    not answer, only the first was named)."""
    document = json.loads(endpoints.read_text())
    down_crs = document["connectedRegistries"][-2:]  # the last two (of a topology with one, that one)
    down_crs[-1]["clientTokens"] = []
    # Bound and never listening: a connection there is refused at once, and no other process can take the port.
    with contextlib.ExitStack() as stack:
        words = []
        for cr in down_crs:
            closed = stack.enter_context(socket.socket())
            closed.bind(("127.0.0.1", 0))
            cr["url"] = f"http://127.0.0.1:{closed.getsockname()[1]}"
            words.append(f"{cr['name']} at {cr['url']}")
        down = work / "endpoints-unreachable.json"
        down.write_text(json.dumps(document, indent=2))
        stopped_before_any_check(down, work / "unreachable", words, f"{' and '.join(words)} down")
    log(f"pass: {' and '.join(words)} not answering stop the run before any check, each named")


def stopped_before_any_check(endpoints: Path, reports: Path, words: list[str], cause: str) -> str:
    """Runs the suite against `endpoints`, which must stop it before any check: exit status 4 with a message holding
    `words`, and that message in both reports, so that CI reading only a report sees why (the JSON report was `{}` and
    the JUnit file held no test): JSON `{"stoppedBeforeAnyCheck": message}`, JUnit one errored test `pre-flight`."""
    report, junit = reports / "report.json", reports / "junit.xml"
    completed = run(suite_command(endpoints, report, f"--junitxml={junit}"), 60, cwd=REPO)
    said = completed.stdout + completed.stderr
    if completed.returncode != 4 or not all(word in said for word in words):
        raise Failed(f"with {cause}, pytest exited {completed.returncode}, not 4 with {words} in its output:\n"
                     f"{said[-3000:]}")
    if not report.exists() or not junit.exists():
        raise Failed(f"with {cause}, the runner stopped without writing {report.name} and {junit.name}")
    written = json.loads(report.read_text())
    message = written.get("stoppedBeforeAnyCheck") if isinstance(written, dict) else None
    if list(written) != ["stoppedBeforeAnyCheck"] or not isinstance(message, str) or message not in said or \
            not all(word in message for word in words):
        raise Failed(f"with {cause}, the JSON report does not hold only the message shown ({words}): {written}")
    cases = list(ElementTree.parse(junit).iter("testcase"))
    errors = [(case.get("name"), error.get("message", "")) for case in cases for error in case.iter("error")]
    if len(cases) != 1 or len(errors) != 1 or errors[0][0] != "pre-flight" or message not in errors[0][1]:
        raise Failed(f"with {cause}, the JUnit file does not hold one errored test pre-flight with the message "
                     f"shown: {junit.read_text()[:3000]}")
    return message


def endpoints_file_mistakes(endpoints: Path, work: Path) -> None:
    """Mistakes in the endpoints file are usage errors that name the key: a timeout that is NaN, infinite, not above 0
    or too large for a socket (Python's JSON reads NaN and Infinity, and a NaN deadline never passes); a misspelt key,
    required or optional, with the key it is close to (a misspelt `url` was once reported as `url` missing, a misspelt
    `tlsVerify` as an unknown key without saying which was meant). The cluster's file, changed one mistake at a time."""
    def renamed(place: dict, key: str, typo: str) -> None:
        place[typo] = place.pop(key)

    crs = json.loads(endpoints.read_text())["connectedRegistries"]
    last = f"connectedRegistries[{len(crs) - 1}] ({crs[-1]['name']})"
    tokened = next(i for i, cr in enumerate(crs) if cr.get("clientTokens"))
    token = f"connectedRegistries[{tokened}] ({crs[tokened]['name']}).clientTokens[0]"
    mistakes = [  # (change, words the error must contain)
        (lambda d: d["timeouts"].update(request=float("nan")), ["timeouts.request", "NaN"]),
        (lambda d: d["timeouts"].update(propagation=float("inf")), ["timeouts.propagation", "Infinity"]),
        (lambda d: d["timeouts"].update(poll=-0.5), ["timeouts.poll", "-0.5"]),
        (lambda d: d["timeouts"].update(request=1e10), ["timeouts.request", "1e+10"]),
        (lambda d: renamed(d["cloud"], "url", "ulr"), ["cloud", "unknown key ulr (did you mean url?)"]),
        (lambda d: renamed(d["connectedRegistries"][-1], "repositories", "repositorys"),
         [last, "unknown key repositorys (did you mean repositories?)"]),
        (lambda d: renamed(d["connectedRegistries"][tokened]["clientTokens"][0], "password", "pasword"),
         [token, "unknown key pasword (did you mean password?)"]),
        (lambda d: d.update(tlsverify=d.pop("tlsVerify", True)), ["unknown key tlsverify (did you mean tlsVerify?)"]),
        (lambda d: renamed(d["cloud"], "admin", "Admin"), ["cloud", "unknown key Admin (did you mean admin?)"]),
    ]
    problems = []
    for index, (change, words) in enumerate(mistakes):
        document = json.loads(endpoints.read_text())
        change(document)
        wrong = work / f"endpoints-mistake-{index}.json"
        wrong.write_text(json.dumps(document, indent=2))  # NaN and Infinity as Python's JSON writes them
        try:
            load_endpoints(wrong)
            problems.append(f"accepted with {words[0]}")
        except EndpointsError as e:
            if not all(word in str(e) for word in words):
                problems.append(f"the error for {' '.join(words)} does not name it: {e}")
    if problems:
        raise Failed("endpoints file mistakes: " + "; ".join(problems))
    # As a run the pre-flight stops: exit status 4, the message in both reports (no report was written).
    stopped_before_any_check(work / "endpoints-mistake-0.json", work / "mistake", ["timeouts.request", "NaN"],
                             "timeouts.request NaN")
    log(f"pass: {len(mistakes)} mistakes in the endpoints file are refused, each naming its key")


def skipped_without_admin(endpoints: Path, work: Path) -> None:
    """Without `cloud.admin` (with `cloud.token` instead, a client token: the cloud takes those too, SPEC 4.1), each
    check that needs the admin user is skipped saying what it leaves unchecked and what to add to the file (the check
    that connected registries refuse the admin user once said that the management API was not checked)."""
    document = json.loads(endpoints.read_text())
    token = next(t for cr in document["connectedRegistries"] for t in cr.get("clientTokens", []))
    del document["cloud"]["admin"]
    document["cloud"]["token"] = {"name": token["name"], "password": token["password"]}
    changed = work / "endpoints-no-admin.json"
    changed.write_text(json.dumps(document, indent=2))
    report_path = work / "no-admin.json"
    unchecked = {  # test -> what its skip must say is left unchecked
        "test_conformance_access.py::test_admin_user_is_refused_at_connected_registries": "refuse",
        "test_conformance_management.py::test_management_api_needs_the_admin_user": "management API",
        "test_conformance_management.py::test_system_scope_maps_cannot_be_changed": "management API",
        "test_conformance_oci.py::test_catalog_lists_the_repositories": "catalog",
    }
    selected = " or ".join(test.split("::")[1] for test in unchecked)
    completed = run(suite_command(changed, report_path, "-k", selected), 60, cwd=REPO)
    if completed.returncode != 0 or not report_path.exists():
        raise Failed(f"without cloud.admin, pytest exited {completed.returncode}:\n"
                     f"{(completed.stdout + completed.stderr)[-3000:]}")
    outcomes = {t["test"]: t for row in json.loads(report_path.read_text()).values() for t in row["tests"]}
    add = 'add "admin": {"username": ..., "password": ...} to its "cloud" object'
    problems = []
    for test, what in unchecked.items():
        found = [t for name, t in outcomes.items() if name.split("[")[0] == test]
        if not found:
            problems.append(f"{test} did not run")
        for t in found:
            message = t.get("message", "")
            if t["outcome"] != "skipped" or what not in message or add not in message or \
                    (what != "management API" and "management API" in message):
                problems.append(f"{t['test']} {t['outcome']}: {message!r}")
    if problems:
        raise Failed(f"without cloud.admin, skips that do not say what they leave unchecked and to {add}: "
                     + "; ".join(problems))
    log(f"pass: without cloud.admin, {len(outcomes)} checks are skipped saying what is unchecked and what to add")


# --- a CNCF Distribution registry ------------------------------------------------------------------------------------


DISTRIBUTION_CONFIG = """version: 0.1
log:
  level: info
  formatter: text
storage:
  filesystem:
    rootdirectory: {root}
  delete:
    enabled: true
http:
  addr: 127.0.0.1:0
"""


def start_distribution(binary: str, work: Path) -> tuple[subprocess.Popen, str]:
    (work / "data").mkdir()
    config = work / "config.yml"
    config.write_text(DISTRIBUTION_CONFIG.format(root=work / "data"))
    log_path = work / "registry.log"
    with log_path.open("wb") as out:
        process = subprocess.Popen([binary, "serve", str(config)], stdout=out, stderr=subprocess.STDOUT,
                                   env=clean_env(), start_new_session=True)
    deadline = time.monotonic() + START_TIMEOUT
    address = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise Failed(f"docker-registry exited {process.returncode}:\n{log_path.read_text(errors='replace')}")
        if address is None:
            found = re.search(r"listening on (127\.0\.0\.1:\d+)", log_path.read_text(errors="replace"))
            address = found.group(1) if found else None
        if address is not None:
            try:
                if requests.get(f"http://{address}/v2/", timeout=5).status_code == 200:
                    return process, f"http://{address}"
            except requests.RequestException:
                pass
        time.sleep(0.1)
    process.kill()
    raise Failed(f"docker-registry did not answer within {START_TIMEOUT} s:\n{log_path.read_text(errors='replace')}")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=STOP_GRACE)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=STOP_GRACE)


def against_distribution(work: Path) -> None:
    binary = shutil.which("docker-registry")
    if binary is None:
        log("skipped: docker-registry is not installed (Debian package docker-registry)")
        sys.exit(SKIP)
    process, url = start_distribution(binary, work)
    try:
        endpoints = work / "endpoints.json"
        endpoints.write_text(json.dumps({"name": "cncf-distribution", "cloud": {"url": url},
                                         "timeouts": {"request": 10, "propagation": 10}}, indent=2))
        code, report = run_suite(endpoints, work)
    finally:
        stop(process)
    if code != 1:
        raise Failed(f"pytest exited {code}: expected 1 (some checks failed), not a usage or internal error")
    failing = sorted((c for c, row in report.items() if row["status"] == "fails"), key=clause_key)
    problems = []
    if "3.4" not in failing:
        problems.append("3.4 (authentication challenge) is not reported failing")
    if report.get("6.1", {}).get("passed", 0) == 0:
        problems.append("no check of 6.1 (the OCI API) passed")
    errored = [t["test"] for row in report.values() for t in row["tests"] if t["outcome"] == "error"]
    if errored:
        problems.append(f"checks errored instead of passing, failing or skipping: {sorted(set(errored))}")
    unexplained = [t["test"] for row in report.values() for t in row["tests"]
                   if t["outcome"] != "passed" and not t.get("message")]
    if unexplained:
        problems.append(f"outcomes without a reason: {sorted(set(unexplained))}")
    for clause in ("5.1", "4.2", "7.2"):
        row = report.get(clause)
        if row is None or row["status"] != "unchecked":
            problems.append(f"{clause} should be unchecked (skipped: no connected registries, no admin), "
                            f"found {row['status'] if row else 'no entry'}")
    if problems:
        raise Failed("; ".join(problems))
    log(f"as expected: failing clauses {', '.join(failing)}; "
        f"holding: {', '.join(c for c, row in report.items() if row['status'] == 'holds') or 'none'}")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("target", choices=["cluster", "distribution"])
    parser.add_argument("--topology", type=Path, default=DEFAULT_TOPOLOGY, help="cluster topology (cluster only)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (reports, logs)")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix=f"outpost-conformance-{args.target}-"))
    log(f"working directory {work}")
    try:
        if args.target == "cluster":
            against_cluster(work, args.topology.resolve())
        else:
            against_distribution(work)
        return 0
    except Failed as e:
        log(f"FAILED: {e}")
        return 1
    finally:
        if args.keep:
            log(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
