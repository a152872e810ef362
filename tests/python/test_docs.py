"""docs/python.md's examples do what it says: the ```python blocks of its "Tutorial" section (the simulated world)
run in order, in one namespace; the conformance runner's "Try it" removes what it wrote."""

import json
import os
import pathlib
import re
import shlex
import shutil
import socket
import subprocess
import sys

DOC = pathlib.Path(__file__).resolve().parents[2] / "docs" / "python.md"


def test_the_tutorial_runs(tmp_path, monkeypatch):
    text = DOC.read_text()
    tutorial = text[text.index("\n## Tutorial\n"):]
    tutorial = tutorial[:tutorial.index("\n## ", 1)]  # up to the next section
    blocks = re.findall(r"```python\n(.*?)```", tutorial, flags=re.DOTALL)
    assert len(blocks) >= 8
    monkeypatch.chdir(tmp_path)  # the tutorial writes its trace to the current directory
    namespace = {"__name__": "tutorial"}
    for index, block in enumerate(blocks):
        exec(compile(block, f"docs/python.md tutorial block {index + 1}", "exec"), namespace)
    assert (tmp_path / "trace.json").stat().st_size > 0


def test_the_conformance_try_it_cleans_up_what_it_wrote(tmp_path):
    """The ```sh blocks of the conformance runner's "Try it": each block's `rm` line leaves the directory as it was
    before the block, pytest's cache and Python's bytecode included. Each block's pytest command runs as written (in a
    copy of scenarios/, with bytecode allowed) against a stand-in endpoints file whose cloud does not answer, so the
    pre-flight stops it at once and it writes its report; what the block's other commands make (the cluster's
    directory, the registry's data) is stood in for by creating what the `rm` line names and does not exist yet."""
    text = DOC.read_text()
    section = text[text.index("\n## Conformance runner\n"):]
    section = section[section.index("\n### Try it\n"):]
    section = section[:section.index("\n### ", 1)]
    blocks = re.findall(r"```sh\n(.*?)```", section, flags=re.DOTALL)
    assert len(blocks) == 2
    shutil.copytree(DOC.parents[1] / "scenarios", tmp_path / "scenarios",
                    ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))

    def tree() -> set[str]:
        return {str(path.relative_to(tmp_path)) for path in tmp_path.rglob("*")}

    before = tree()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE" and not k.startswith("OUTPOST_")}
    with socket.socket() as closed:  # bound, never listening: the stand-in cloud refuses every connection
        closed.bind(("127.0.0.1", 0))
        for block in blocks:
            lines = block.replace("\\\n", " ").splitlines()
            [command] = [line for line in lines if " -m pytest " in line]
            [removal] = [line for line in lines if line.startswith("rm ")]
            endpoints = tmp_path / re.search(r"--outpost-endpoints=(\S+)", command).group(1)
            endpoints.parent.mkdir(parents=True, exist_ok=True)
            endpoints.write_text(json.dumps({"cloud": {"url": f"http://127.0.0.1:{closed.getsockname()[1]}"}}))
            ran = subprocess.run(command.replace("/usr/bin/python3", shlex.quote(sys.executable), 1), shell=True,
                                 cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
            assert ran.returncode == 4, ran.stdout + ran.stderr  # stopped before any check: the cloud does not answer
            report = tmp_path / re.search(r"--outpost-conformance-report=(\S+)", command).group(1)
            assert "stoppedBeforeAnyCheck" in json.loads(report.read_text())
            for removed in shlex.split(removal, comments=True)[1:]:
                if not removed.startswith("-") and not (tmp_path / removed).exists():
                    (tmp_path / removed).mkdir()
            subprocess.run(removal, shell=True, cwd=tmp_path, check=True)
            after = tree()
            assert after == before, (f"the block ending {removal!r} left {sorted(after - before)} and removed "
                                     f"{sorted(before - after)}")
