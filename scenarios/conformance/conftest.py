"""Conformance runner: a black-box subset of docs/spec.md checked against any deployment of connected registries.

    pytest scenarios/conformance --outpost-endpoints=FILE [--outpost-conformance-report=REPORT.json] [--junitxml=X]

FILE lists the cloud, the connected registries and the credentials the runner may use (docs/python.md, "Conformance
runner"). Without --outpost-endpoints every test here is skipped with that reason, so `pytest scenarios` passes.

Every test cites the SPEC clauses it checks with `@pytest.mark.spec("4.2", "4.3")` (a test without one is a usage
error). The report (JSON keyed by clause, see conformance_report.py) counts each test under every clause it cites.
Failures raised as `ConformanceFailure` are shown as one line prefixed with those clauses (the JUnit `message`
attribute) followed by the HTTP exchanges that showed them (the JUnit element's text), instead of a traceback.

Parameters generated from the endpoints file: `each_node` (the cloud and every connected registry, by name),
`each_cr`, `each_read_only_cr`, `each_read_write_cr` (ConnectedRegistry objects). A parameter list that the file
leaves empty becomes one skipped test naming what is missing, so the report shows the clause as unchecked rather
than silently absent.
"""

from __future__ import annotations

import contextlib
import types
from pathlib import Path

import pytest

from conformance_deployment import Deployment, new_run_id
from conformance_endpoints import Endpoints, EndpointsError, load_endpoints
from conformance_http import ConformanceFailure
from conformance_report import ClauseReport

HERE = Path(__file__).resolve().parent
_ENDPOINTS = pytest.StashKey["Endpoints | None"]()
_REPORT = pytest.StashKey[ClauseReport]()
_PROBLEMS = pytest.StashKey[list]()
_FILE_ERROR = pytest.StashKey["str | None"]()  # what is wrong with the endpoints file
NO_ENDPOINTS = ("the conformance runner needs a deployment: pass --outpost-endpoints FILE "
                "(format: docs/python.md, section 'Conformance runner')")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("outpost-conformance", "Outpost conformance runner (scenarios/conformance)")
    group.addoption("--outpost-endpoints", metavar="FILE", default=None,
                    help="JSON file naming the deployment's endpoints and credentials; without it the conformance "
                         "tests are skipped")
    group.addoption("--outpost-conformance-report", metavar="FILE", default=None,
                    help="write the outcome of every SPEC clause checked (JSON keyed by clause) to FILE")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers",
                            "spec(*clauses): the docs/spec.md clauses a test checks (e.g. spec('4.2', '4.3'))")
    path = config.getoption("outpost_endpoints", default=None)
    endpoints = None
    config.stash[_FILE_ERROR] = None
    if path:
        try:
            endpoints = load_endpoints(path)
        except EndpointsError as e:
            # Not a UsageError here, which would end pytest before the reports are written: stopped at collection.
            config.stash[_FILE_ERROR] = f"--outpost-endpoints: {e}"
    config.stash[_ENDPOINTS] = endpoints
    config.stash[_REPORT] = ClauseReport()
    config.stash[_PROBLEMS] = []


def pytest_collection(session: pytest.Session) -> None:
    """A mistake in the endpoints file stops the run as the pre-flight does, before anything is collected."""
    problem = session.config.stash.get(_FILE_ERROR, None)
    if problem is not None:
        _stop_before_any_check(session.config, problem)


def _is_ours(item: pytest.Item) -> bool:
    return HERE in Path(item.path).resolve().parents


def _clauses(item: pytest.Item) -> tuple[str, ...]:
    clauses: list[str] = []
    for mark in item.iter_markers("spec"):
        clauses.extend(str(c) for c in mark.args if str(c) not in clauses)
    return tuple(clauses)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    ours = [item for item in items if _is_ours(item)]
    uncited = [item.nodeid for item in ours if not _clauses(item)]
    if uncited:
        raise pytest.UsageError("conformance tests must cite SPEC clauses with @pytest.mark.spec(...): "
                                + ", ".join(uncited))
    if config.stash.get(_ENDPOINTS, None) is None:
        for item in ours:
            item.add_marker(pytest.mark.skip(reason=NO_ENDPOINTS))


# --- parametrization by the endpoints file ---------------------------------------------------------------------------


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    endpoints: Endpoints | None = metafunc.config.stash.get(_ENDPOINTS, None)
    crs = list(endpoints.connected_registries) if endpoints else []
    choices = {
        "each_node": (["cloud", *[cr.name for cr in crs]] if endpoints else [], NO_ENDPOINTS),
        "each_cr": (crs, "the endpoints file lists no connected registries"),
        "each_read_only_cr": ([cr for cr in crs if cr.read_only],
                              "the endpoints file lists no ReadOnly connected registry"),
        "each_read_write_cr": ([cr for cr in crs if not cr.read_only],
                               "the endpoints file lists no ReadWrite connected registry"),
    }
    for name, (values, missing) in choices.items():
        if name not in metafunc.fixturenames:
            continue
        if values:
            metafunc.parametrize(name, values, ids=[v if isinstance(v, str) else v.name for v in values])
        else:
            reason = missing if endpoints else NO_ENDPOINTS
            metafunc.parametrize(name, [pytest.param(None, marks=pytest.mark.skip(reason=reason))],
                                 ids=["none-listed"])


# --- fixtures --------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def endpoints(pytestconfig: pytest.Config) -> Endpoints:
    found = pytestconfig.stash.get(_ENDPOINTS, None)
    if found is None:
        pytest.skip(NO_ENDPOINTS)
    return found


@pytest.fixture(scope="session")
def deployment(endpoints: Endpoints, pytestconfig: pytest.Config):
    run = Deployment(endpoints, new_run_id())
    problem = run.preflight()
    if problem is not None:
        _stop_before_any_check(pytestconfig, f"conformance runner: {problem}")
    yield run
    pytestconfig.stash[_PROBLEMS].extend(run.close())


def _stop_before_any_check(config: pytest.Config, message: str) -> None:
    """Ends the session with a usage error (exit status 4) and `message`, which the reports carry too, so that CI
    reading only a report sees why nothing was checked: the JSON report as `{"stoppedBeforeAnyCheck": message}`, the
    JUnit file (and the terminal) as the error of one test, `pre-flight`, reported as pytest reports any test's."""
    config.stash[_REPORT].stopped = message
    try:
        folder = HERE.relative_to(config.rootpath).as_posix()
    except ValueError:
        folder = HERE.name
    nodeid = f"{folder if folder != '.' else HERE.name}::pre-flight"
    location = (f"{folder}/conftest.py", None, "pre-flight")
    capture = config.pluginmanager.getplugin("capturemanager")  # this runs in a test's setup, output captured
    with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
        config.hook.pytest_runtest_logstart(nodeid=nodeid, location=location)
        for when, outcome, longrepr in (("setup", "failed", message), ("teardown", "passed", None)):
            config.hook.pytest_runtest_logreport(report=pytest.TestReport(nodeid, location, {}, outcome, longrepr,
                                                                          when))
        config.hook.pytest_runtest_logfinish(nodeid=nodeid, location=location)
    pytest.exit(message, returncode=pytest.ExitCode.USAGE_ERROR)


# --- outcomes, report, failure text ----------------------------------------------------------------------------------


class _ClauseFailureRepr:
    """A failure as JUnit and the terminal show it: `message` (one line, with the clauses) in the XML attribute and
    the short summary, the evidence and the test's line as the body."""

    def __init__(self, message: str, body: str, path: str, lineno: int):
        self.reprcrash = types.SimpleNamespace(path=path, lineno=lineno, message=message)
        self._body = body

    def toterminal(self, tw) -> None:
        for index, line in enumerate(self._body.splitlines()):
            tw.line(line, red=index == 0, bold=index == 0)

    def __str__(self) -> str:
        return self._body


def _failure_location(item: pytest.Item, excinfo) -> tuple[str, int]:
    """The line of the test function the failure went through (not a helper's), else the last line in its file, else
    (a fixture failed) the test's `def` line; the path relative to the repository."""
    shown = str(Path(item.path).resolve().relative_to(HERE.parents[1]))
    in_file = [entry for entry in excinfo.traceback if Path(str(entry.path)) == Path(item.path)]
    for entry in reversed(in_file):
        if entry.name == getattr(item, "originalname", item.name):
            return shown, entry.lineno + 1
    if in_file:
        return shown, in_file[-1].lineno + 1
    return shown, item.reportinfo()[1] + 1


def _test_id(item: pytest.Item) -> str:
    """`test_module.py::test_name[params]`: the same whatever pytest chose as its root directory."""
    return f"{Path(item.path).resolve().relative_to(HERE)}::{item.name}"


def _skip_reason(report: pytest.TestReport) -> str:
    if isinstance(report.longrepr, tuple) and len(report.longrepr) == 3:
        reason = str(report.longrepr[2])
        return reason[len("Skipped: "):] if reason.startswith("Skipped: ") else reason
    return str(report.longrepr or "")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    if not _is_ours(item):
        return
    clauses = _clauses(item)
    cited = "SPEC " + ", ".join(clauses)
    message = ""
    if report.failed and call.excinfo is not None:
        failure = call.excinfo.value
        if isinstance(failure, ConformanceFailure):
            message = failure.summary
            path, lineno = _failure_location(item, call.excinfo)
            body = f"{cited}: {failure.summary}\n{failure.details}\n(checked at {path}:{lineno})".replace("\n\n", "\n")
            report.longrepr = _ClauseFailureRepr(f"{cited}: {failure.summary}", body, path, lineno)
        else:
            message = call.excinfo.exconly().splitlines()[0]
    elif report.skipped:
        message = _skip_reason(report)
    if report.failed or report.skipped or report.when == "call":
        item.config.stash[_REPORT].record(_test_id(item), clauses, report.when,
                                          "failed" if report.failed else "skipped" if report.skipped else "passed",
                                          message)


def pytest_sessionfinish(session: pytest.Session) -> None:
    path = session.config.getoption("outpost_conformance_report", default=None)
    report = session.config.stash.get(_REPORT, None)
    if path and report is not None:
        report.write(path)


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:
    report = config.stash.get(_REPORT, None)
    endpoints = config.stash.get(_ENDPOINTS, None)
    if report is not None and report.stopped is not None:
        path = config.getoption("outpost_conformance_report", default=None)
        terminalreporter.line(f"stopped before any check{'; report: ' + path if path else ''}", red=True)
    if report is None or endpoints is None:
        return
    lines = report.summary_lines()
    if lines:
        terminalreporter.section(f"SPEC clauses checked against {endpoints.name} ({endpoints.source})")
        for line in lines:
            terminalreporter.line(line)
        path = config.getoption("outpost_conformance_report", default=None)
        if path:
            terminalreporter.line(f"report: {path}")
    for problem in config.stash.get(_PROBLEMS, []):
        terminalreporter.line(f"conformance cleanup: {problem}", yellow=True)
