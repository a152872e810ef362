"""The HTML report as a browser sees it (ctest sim_report_html_in_chromium).

Runs a short edge-factory simulation with --report, renders the JSON with `outpost sim report`, opens the page in
headless Chromium (--dump-dom) and checks that:
  - the browser's DOM holds every chart the page has (one <svg> per <figure class="chart">), at least the five that
    any edge-factory report has (topology, timeline, throughput per link and per level, propagation down), with
    their titles, and the invariants' table;
  - Chromium's log (--enable-logging=stderr) shows no console message from the page: the page has no script, so any
    message is an error (a blocked resource, a Content-Security-Policy violation). A control page that logs a planted
    error first proves the log is read at all.
It also checks that `outpost sim report` refuses unreadable input with exit status 2.

Exit status 0 when all holds, 1 when not, 77 when Chromium is not installed (CTest SKIP_RETURN_CODE).
"""
import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

SKIP = 77
BROWSER_SECONDS = 25
SIMULATION_SECONDS = 60
# "[pid:tid:date:INFO:CONSOLE:12] "message", source: file:///... (12)" (older builds write CONSOLE(12)).
CONSOLE_LINE = re.compile(r":CONSOLE[:(]")
EXPECTED_TITLES = [
    "Topology",
    "Faults and sync rounds per node",
    "Sync throughput per link (uplink of the node named)",
    "Sync throughput per level (links into nodes of that depth)",
    "Propagation latency per depth, down from the cloud",
]


def fail(message):
    print(f"FAILED: {message}", file=sys.stderr)
    sys.exit(1)


def run(command, seconds, **kwargs):
    """Runs a command in its own process group, which is killed whole when it overruns (Chromium forks helpers)."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               errors="replace", start_new_session=True, **kwargs)
    try:
        out, err = process.communicate(timeout=seconds)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        fail(f"{command[0]} did not finish within {seconds} s: {' '.join(command)}")
    return process.returncode, out, err


def open_in_chromium(chromium, page, profile):
    """The page's DOM after loading, and the console lines Chromium logged."""
    code, dom, log = run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                          "--no-first-run", f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0",
                          "--dump-dom", page.resolve().as_uri()], BROWSER_SECONDS)
    if code != 0:
        fail(f"chromium exited with {code} on {page}:\n{log[-3000:]}")
    return dom, [line for line in log.splitlines() if CONSOLE_LINE.search(line)]


def check_refusals(outpost, work):
    missing = work / "no-such-run.json"
    code, _, err = run([outpost, "sim", "report", str(missing), "-o", str(work / "x.html")], 10)
    if code != 2 or "cannot read" not in err:
        fail(f"a missing RUN.json gave exit status {code} (want 2 with a message): {err}")
    garbage = work / "garbage.json"
    garbage.write_text("{ not json")
    code, _, err = run([outpost, "sim", "report", str(garbage)], 10)
    if code != 2 or "is not JSON" not in err:
        fail(f"a RUN.json that is not JSON gave exit status {code} (want 2 with a message): {err}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--outpost", required=True)
    parser.add_argument("--work", required=True, help="a directory for the run, the page and Chromium's profile")
    args = parser.parse_args()

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        print("skipped: Chromium is not installed (Debian package chromium; scripts/setup.sh installs it)")
        return SKIP

    work = Path(args.work)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    run_json, page = work / "run.json", work / "report.html"

    check_refusals(args.outpost, work)

    # Ten minutes of virtual time on the simulated network: faults, sync, metrics; about a second of wall time.
    code, out, err = run([args.outpost, "sim", "run", "scenarios/edge-factory.json", "--seed", "1", "--duration", "10m",
                          "--network", "simulated", "--report", str(run_json)], SIMULATION_SECONDS)
    if code not in (0, 1) or not run_json.exists():
        fail(f"outpost sim run exited with {code} and no report:\n{out}\n{err}")
    code, out, err = run([args.outpost, "sim", "report", str(run_json), "-o", str(page)], 30)
    if code != 0:
        fail(f"outpost sim report exited with {code}:\n{out}\n{err}")
    html = page.read_text()

    with tempfile.TemporaryDirectory(dir=work) as profile:
        # The control: a page that logs an error must be caught, or the check below proves nothing.
        control = work / "control.html"
        control.write_text('<!DOCTYPE html><html><body><script>console.error("planted error")</script></body></html>')
        _, planted = open_in_chromium(chromium, control, profile)
        if not any("planted error" in line for line in planted):
            fail("Chromium's log did not show the control page's console error: console errors cannot be checked")

        dom, console = open_in_chromium(chromium, page, profile)

    if console:
        fail("the page logged console messages:\n" + "\n".join(console))
    svgs, figures = dom.count("<svg"), dom.count('<figure class="chart">')
    if svgs != html.count("<svg") or svgs != figures:
        fail(f"the DOM has {svgs} <svg> elements and {figures} chart figures; the page has {html.count('<svg')}")
    if svgs < len(EXPECTED_TITLES):
        fail(f"the DOM has {svgs} charts, fewer than the {len(EXPECTED_TITLES)} every edge-factory report has")
    for title in EXPECTED_TITLES:
        if f"<figcaption>{title}</figcaption>" not in dom:
            fail(f"no chart titled {title!r} in the DOM")
    for text in ('id="seed-1"', '<table class="invariants">', "Replay", "Trace hash"):
        if text not in dom:
            fail(f"{text!r} is not in the DOM")
    if "<script" in dom:
        fail("the page has a script element")
    print(f"ok: {svgs} charts rendered, no console messages ({len(html) // 1024} KiB page)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
