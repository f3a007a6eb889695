"""``docs/python.md`` runs: its ```python blocks, in order, in one namespace, from a scratch
folder that links ``cases/`` (what the page shows is what the code does)."""

import contextlib
import io
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "python.md"


def python_blocks(text: str) -> list[str]:
    """The ```python fenced blocks of a Markdown page, in order."""
    return re.findall(r"^```python\n(.*?)^```", text, flags=re.S | re.M)


def test_the_python_page_runs(tmp_path, monkeypatch):
    text = PAGE.read_text()
    blocks = python_blocks(text)
    assert len(blocks) >= 5
    (tmp_path / "cases").symlink_to(ROOT / "cases")
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        for number, block in enumerate(blocks, start=1):
            exec(compile(block, f"{PAGE.name} block {number}", "exec"), namespace)  # noqa: S102
    # the error the page quotes is the one the first block prints
    quoted = re.search(r"prints\n\n```\n(.*?)\n```", text, flags=re.S).group(1)
    assert quoted in printed.getvalue().splitlines()
    assert (tmp_path / "results" / "cell_sweep" / "sweep.csv").is_file()
    assert namespace["sweep"].ran == 6
