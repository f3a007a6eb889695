"""report.md with its pictures and the self-contained report.html, of a plate and of a rack.

The plate is a synthetic summary whose chip misses its 105 C limit by 22.8 K (the case of issue
13); the rack a two-plate report whose hottest GPU case is 100 C against the default 95 C limit.
Both fail, so both reports must open with a FAIL headline. Each result folder holds a small real
PNG drawn by matplotlib (a solid green square, RGB 0, 128, 0), so that the rendered page can be
checked for the picture by its colour.

The Chromium tests render report.html with headless Chromium (``--dump-dom`` and
``--screenshot``) and check the page a browser shows: the FAIL banner in red (#c00000) at the
top, one <img> per picture with a data: URI, and the green square on screen. They are skipped,
with the reason, where no Chromium is installed (CI installs the Debian package ``chromium``).
"""

import base64
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from solver.output import rack_report, write_report
from solver.output.figures import pyplot, save_figure
from solver.output.html_report import report_html, with_pictures, write_report_pages
from solver.output.plate_report import format_plate_report, write_plate_report
from solver.output.summary import summary_verdict
from solver.units import LPM, ZERO_CELSIUS

GREEN = (0, 128, 0)
RED = (0xC0, 0x00, 0x00)  # the FAIL banner's background in html_report.STYLE
HOSTILE = "die<script>alert(1)</script>|x"


def _green_square(path: Path) -> Path:
    """A 2 x 2 inch PNG, one solid green square (a real picture, written like every other)."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(2.0, 2.0))
    ax.imshow(np.ones((4, 4, 3)) * np.array(GREEN) / 255.0)
    ax.set_axis_off()
    path.parent.mkdir(parents=True, exist_ok=True)
    return save_figure(fig, path)


def _plate_summary(margin: float) -> dict:
    """A plate summary like ``summary.json`` with one 1 kW chip ``margin`` K under 105 C."""
    limit = 105.0 + ZERO_CELSIUS
    peak = limit - margin
    summary = {
        "case": {"name": "plate", "file": "cases/plate.toml", "hash": "0123456789abcdef0123"},
        "coolsim_version": "0.1.0", "created_utc": "2026-12-06T17:00:00+00:00",
        "backend": {"name": "cpu", "device": "host (NumPy)"},
        "grid": {"shape": [10, 10, 5], "cells": 500, "max_growth_ratio": 1.2,
                 "max_aspect_ratio": 3.0},
        "bodies": {"base": {"max_temperature_K": peak - 10.0, "mean_temperature_K": 320.0,
                            "min_temperature_K": 310.0}},
        "chips": {HOSTILE: {"power_W": 1000.0, "max_temperature_K": peak,
                            "mean_temperature_K": peak - 5.0,
                            "limit_temperature_K": limit, "margin_K": margin}},
        "total_heat_W": 1000.0,
        "energy_balance": {"heat_out_W": {"inlet": -30000.0, "outlet": 31000.0},
                           "relative_error": 1e-6},
        "flow": {"heat_to_coolant_W": 999.8, "volumetric_flow_L_per_min": 1.5,
                 "pressure_drop_Pa": 7200.0, "inlet_temperature_K": 35.0 + ZERO_CELSIUS,
                 "outlet_temperature_K": 44.6 + ZERO_CELSIUS,
                 "flow_split": {"channels": {"channel_mass_flow_kg_per_s": [0.004, 0.005],
                                             "maldistribution": 0.22}}},
        "solver": {"method": "pcg", "converged": True, "iterations": 30,
                   "final_residual": 1e-8},
        "warnings": ["channels: 1 cell across the 0.5 mm gap (laminar dP needs about 4)"],
    }
    summary["verdict"] = summary_verdict(summary)
    return summary


@pytest.fixture
def failing_plate(tmp_path) -> Path:
    folder = tmp_path / "plate"
    _green_square(folder / "images" / "temperature_slice.png")
    write_plate_report(folder, _plate_summary(margin=-22.8))
    return folder


@pytest.fixture
def failing_rack(tmp_path) -> Path:
    def plate(name, case_celsius):
        return {"type": "component", "name": name, "kind": "cold_plate", "flow": 1.5 / LPM,
                "inlet_temperature": 35.0 + ZERO_CELSIUS,
                "outlet_temperature": 44.5 + ZERO_CELSIUS, "heat": 1000.0,
                "pressure_drop": 15e3, "case_temperature": case_celsius + ZERO_CELSIUS}

    report = rack_report({}, [plate("tray.0.gpu.0", 80.0), plate("tray.1.gpu.0", 100.0)],
                         name="rack")
    folder = tmp_path / "rack"
    _green_square(folder / "images" / "rack_flow.png")
    write_report(folder, report)  # adds images/chip_temperatures.png
    return folder


def _images(html: str) -> list[str]:
    return re.findall(r"<img [^>]*src=\"([^\"]*)\"", html)


def test_failing_plate_report_opens_with_fail_and_embeds_its_picture(failing_plate):
    markdown = (failing_plate / "report.md").read_text()
    lines = markdown.splitlines()
    assert lines[0] == "# Plate report: plate"
    assert lines[2].startswith("**FAIL**: chip ") and "22.80 K over its limit" in lines[2]
    assert "![temperature slice](images/temperature_slice.png)" in markdown
    assert "| heat to coolant [W] | 999.8 |" in markdown
    assert "| pressure drop [kPa] | 7.200 |" in markdown
    assert "| flow [L/min] | 1.500 |" in markdown
    assert "**FAIL** |" in markdown  # the chip's row
    assert "channels: 1 cell across" in markdown  # the warning
    html = (failing_plate / "report.html").read_text()
    assert '<p class="verdict fail"><strong>FAIL</strong>: chip ' in html
    sources = _images(html)
    assert len(sources) == 1
    picture = (failing_plate / "images" / "temperature_slice.png").read_bytes()
    assert sources[0] == "data:image/png;base64," + base64.b64encode(picture).decode()


def test_names_are_escaped_and_keep_the_table(failing_plate):
    html = (failing_plate / "report.html").read_text()
    assert "<script" not in html
    assert "die&lt;script&gt;alert(1)&lt;/script&gt;|x" in html
    chips = html.split("<h2>Chips</h2>")[1].split("</table>")[0]
    # seven columns in the header and in the chip's row: the "|" in the name split nothing
    assert chips.count("<th>") == 7 and chips.count("<td") == 7


def test_passing_plate_gets_a_pass_banner(tmp_path):
    folder = tmp_path / "plate"
    write_plate_report(folder, _plate_summary(margin=14.6))
    assert format_plate_report(_plate_summary(margin=14.6)).splitlines()[2].startswith(
        "**PASS**: every chip within its limit")
    html = (folder / "report.html").read_text()
    assert '<p class="verdict pass"><strong>PASS</strong>' in html
    assert "## Pictures" not in (folder / "report.md").read_text()  # no images/ folder


def test_plate_reaching_its_limit_in_time_fails_with_the_time():
    summary = _plate_summary(margin=14.6)
    limit = summary["chips"][HOSTILE]["limit_temperature_K"]
    summary["transient"] = {
        "start": "steady", "steps": 40, "end_s": 10.0, "seconds": 1.5,
        "energy_audit_relative_error": 1e-7,
        "chips": {"gpu": {"peak_temperature_K": limit + 3.0, "peak_time_s": 8.0,
                          "final_temperature_K": limit + 2.0, "limit_temperature_K": limit,
                          "time_to_limit_s": 2.5}}}
    summary["verdict"] = summary_verdict(summary)
    markdown = format_plate_report(summary)
    assert markdown.splitlines()[2] == "**FAIL**: chip gpu reaches its limit at t = 2.5 s in time"
    assert "## In time" in markdown and "reaches limit at [s]" in markdown


def test_failing_rack_report_opens_with_fail_and_embeds_every_picture(failing_rack):
    markdown = (failing_rack / "report.md").read_text()
    assert markdown.splitlines()[2].startswith("**FAIL**: design checks failed: chip_limits")
    pictures = sorted(p.name for p in (failing_rack / "images").glob("*.png"))
    assert pictures == ["chip_temperatures.png", "rack_flow.png"]
    links = re.findall(r"!\[[^\]]*\]\((images/[^)]*)\)", markdown)
    assert links == [f"images/{name}" for name in pictures]  # sorted by name
    html = (failing_rack / "report.html").read_text()
    assert '<p class="verdict fail">' in html
    sources = _images(html)
    assert len(sources) == 2 and all(s.startswith("data:image/png;base64,") for s in sources)
    # the same tables as report.md: one <table> per Markdown table
    assert html.count("<table>") == len(re.findall(r"^\|---", markdown, re.MULTILINE))


def test_pictures_stay_one_section_at_the_end(failing_plate):
    markdown = (failing_plate / "report.md").read_text()
    again = with_pictures(markdown + "\n## Scenarios\n\n| a |\n|---|\n| 1 |\n", failing_plate)
    assert again.count("## Pictures") == 1
    assert again.index("## Scenarios") < again.index("## Pictures")


def test_a_picture_named_with_spaces_is_linked_and_inlined(tmp_path):
    _green_square(tmp_path / "images" / "plate (top view).png")
    paths = write_report_pages(tmp_path, "# r\n\n**PASS**: fine\n", "PASS")
    assert "![plate (top view)](images/plate%20%28top%20view%29.png)" in \
        paths["markdown"].read_text()
    assert [s[:22] for s in _images(paths["html"].read_text())] == ["data:image/png;base64,"]


def test_only_pictures_inside_the_result_are_inlined(tmp_path):
    folder = tmp_path / "result"
    _green_square(tmp_path / "outside.png")
    folder.mkdir()
    html = report_html("# r\n\n**FAIL**: x\n\n![a](../outside.png) ![b](http://example.com/b.png)"
                       " ![c](images/missing.png)\n", folder, "FAIL")
    assert _images(html) == []
    assert html.count("[picture not embedded:") == 3
    assert not re.search(r"(src|href)=\"?(https?:|\.\.)", html)  # nothing the page loads


def test_pages_are_written_atomically_beside_each_other(tmp_path):
    paths = write_report_pages(tmp_path, "# r\n\n**PASS**: fine\n", "PASS")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html", "report.md"]
    assert paths["html"].read_text().startswith("<!DOCTYPE html>")


# -- the page as a browser shows it -------------------------------------------------------------
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="no chromium on PATH: install the Debian package chromium to render "
                             "report.html headless")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _render(page: Path, tmp_path: Path, height: int) -> tuple[str, np.ndarray]:
    """``(DOM, screenshot RGB array)`` of ``page`` in headless Chromium, a window 1200 pixels
    wide and ``height`` high."""
    from matplotlib.image import imread

    shot = tmp_path / "screenshot.png"
    common = [CHROMIUM, *FLAGS, f"--window-size=1200,{height}",
              f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run([*common, "--dump-dom", page.as_uri()], capture_output=True,
                         text=True, timeout=60, check=True).stdout
    subprocess.run([*common, f"--screenshot={shot}", page.as_uri()], capture_output=True,
                   timeout=60, check=True)
    assert shot.is_file()
    return dom, np.round(imread(shot)[:, :, :3] * 255).astype(int)


def _share(pixels: np.ndarray, colour, tolerance: int = 12) -> np.ndarray:
    """Per row, the share of pixels within ``tolerance`` of ``colour``."""
    return (np.abs(pixels - np.array(colour)).max(axis=2) <= tolerance).mean(axis=1)


def _check_page(folder: Path, tmp_path: Path, pictures: int, height: int) -> np.ndarray:
    """Render the report of ``folder``, check the DOM, the red FAIL banner at the top and the
    green picture on screen below it; returns the screenshot's pixels."""
    dom, pixels = _render(folder / "report.html", tmp_path, height)
    assert re.search(r'<p class="verdict fail"><strong>FAIL</strong>', dom)
    assert len([s for s in _images(dom) if s.startswith("data:image/png;base64,")]) == pictures
    assert pixels.shape == (height, 1200, 3)
    red = _share(pixels, RED)
    # the banner: rows near the top (under the title) more than half red
    banner = np.nonzero(red > 0.5)[0]
    assert banner.size >= 20 and banner.min() < 200, (banner.size, banner[:3])
    # the green square of the picture, on screen below the banner
    green = np.nonzero(_share(pixels, GREEN) > 0.05)[0]
    assert green.size >= 50 and green.min() > banner.max(), (green.size, green[:3])
    return pixels


@needs_chromium
def test_failing_plate_page_in_chromium(failing_plate, tmp_path):
    _check_page(failing_plate, tmp_path, pictures=1, height=2000)


@needs_chromium
def test_failing_rack_page_in_chromium(failing_rack, tmp_path):
    # a taller window: the rack's tables come before its two pictures
    pixels = _check_page(failing_rack, tmp_path, pictures=2, height=4000)
    # the chip chart too: its hot chip's bar in matplotlib's tab:red
    assert (_share(pixels, (214, 39, 40)) > 0.05).sum() >= 50
