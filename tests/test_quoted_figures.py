"""The runtimes quoted in README and the case headers are the ones the benchmarks printed.

``benchmarks/test_suite.py`` (``make test`` on a fresh clone) and ``benchmarks/example_runtimes.py``
(``coolsim run`` of every example with an empty cache) store their records under
``benchmarks/results/``, each with the sentence to quote. These tests read those files, never a
clock: a figure edited by hand, or a benchmark re-run without updating the text, fails here.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
README = (ROOT / "README.md").read_text()


def _load(name: str) -> dict:
    return json.loads((RESULTS / name).read_text())


def _header(case: Path) -> str:
    """The comment block at the top of a case file, as one line (comment marks dropped)."""
    lines = []
    for line in case.read_text().splitlines():
        if not line.startswith("#"):
            break
        lines.append(line.lstrip("#").strip())
    return " ".join(lines)


def test_readme_quotes_the_measured_test_suite_time():
    record = _load("test_suite.json")
    assert record["exit_code"] == 0, record["summary_line"]
    assert record["quoted"] in README, f"README must quote: {record['quoted']}"


def test_readme_quotes_the_measured_demo_time():
    record = _load("example_runtimes.json")
    assert record["make_demo_quoted"] in README, f"README must quote: {record['make_demo_quoted']}"


@pytest.mark.parametrize("record", _load("example_runtimes.json")["cases"],
                         ids=lambda r: r["case"])
def test_case_header_quotes_its_measured_runtime(record):
    """Each example's header quotes its own benchmark line and no other runtime."""
    assert record["exit_code"] == 0, record["error"]
    header = _header(ROOT / "cases" / f"{record['case']}.toml")
    assert record["quoted"] in header, f"{record['case']}.toml must quote: {record['quoted']}"
    assert header.count("Runtime (") == 1


def test_every_example_case_is_timed():
    """A new example case without a measured runtime fails."""
    timed = {r["case"] for r in _load("example_runtimes.json")["cases"]}
    assert {p.stem for p in (ROOT / "cases").glob("*.toml")} <= timed


def test_duration_text_matches_the_quoted_form():
    """The quoted times read as README writes them (``8 min 3 s``, ``40 s``)."""
    record = _load("test_suite.json")
    minutes, seconds = divmod(int(round(record["wall_s"])), 60)
    assert re.search(rf"`make test` {minutes} min {seconds} s", record["quoted"])
