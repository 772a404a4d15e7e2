"""Every code block fenced ```python in docs/*.md runs: a page's blocks in order, in one namespace and a
temporary folder (later blocks use earlier ones' names, as a reader would). Blocks fenced ```py are shown
only. The examples assert their own numbers against closed forms (see the pages)."""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"
# a fence line that is exactly ```python (```py, ```text, ```sh ... are not run)
_BLOCK = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.S | re.M)


def runnable_blocks(text: str) -> list:
    """The bodies of the ```python blocks of a Markdown text, in order."""
    return _BLOCK.findall(text)


PAGES = {p.name: runnable_blocks(p.read_text()) for p in sorted(DOCS.glob("*.md"))}
RUNNABLE = sorted(name for name, blocks in PAGES.items() if blocks)


def test_block_extraction():
    text = "a\n```python\nx = 1\n```\n```py\nshown()\n```\n```text\nout\n```\n```python\ny = x\n```\n"
    assert runnable_blocks(text) == ["x = 1\n", "y = x\n"]


def test_stage_1_page_has_examples():
    assert "netlists_devices.md" in RUNNABLE
    assert len(PAGES["netlists_devices.md"]) >= 4   # netlist, import, simulation, devices, LLG


@pytest.mark.ngspice
@pytest.mark.parametrize("page", RUNNABLE)
def test_docs_examples_run(page, tmp_path):
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        ns = {"__name__": "__docs__"}
        for i, code in enumerate(PAGES[page], 1):
            exec(compile(code, f"docs/{page} python block {i}", "exec"), ns)   # noqa: S102 - our own docs
    finally:
        os.chdir(cwd)
