"""docs/python.md's tutorial runs as written: the ```python blocks of its "Tutorial" section (the simulated world),
in order, in one namespace."""

import pathlib
import re

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
