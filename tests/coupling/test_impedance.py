"""``coolsim characterize`` with the thermal impedance (solver.coupling.impedance): the step
response of every chip stored beside the curves (JSON, CSV, PNG), reused while the case is
unchanged, and read back as Foster networks (JEDEC JESD51-14's Z_th and its Foster form)."""

import shutil
from pathlib import Path

import numpy as np
import pytest

from solver import cli
from solver.case import load_case
from solver.coupling.impedance import impedance_path, read_foster_networks
from solver.output.atomic import read_json

PLATE = Path(__file__).resolve().parents[1] / "models" / "data" / "small_chip_plate.toml"


def test_characterize_writes_reuses_and_reads_back_the_impedance(tmp_path, capsys):
    case_file = tmp_path / PLATE.name
    shutil.copy(PLATE, case_file)
    assert cli.main(["characterize", str(case_file), "--flows", "0.2 L/min"]) == 0
    out = capsys.readouterr()
    assert "thermal impedance of small_chip_plate" in out.out
    path = impedance_path(load_case(case_file))
    data = read_json(path)
    rows = np.genfromtxt(path.with_suffix(".csv"), delimiter=",", names=True)
    assert path.with_suffix(".png").stat().st_size > 10_000
    # the stored curve and the Foster network read back agree within the fit's stated error
    foster = read_foster_networks(path)["die"]
    z = rows["die_Z_th_K_per_W"]
    fitted = foster.impedance(rows["time_s"])
    assert np.max(np.abs(fitted - z) / z) <= data["chips"]["die"]["fit"]["max_relative_error"] \
        * (1 + 1e-9) + 1e-12
    assert data["chips"]["die"]["fit"]["max_relative_error"] < 0.02
    assert data["flow_m3_per_s"] == pytest.approx(0.2e-3 / 60, rel=1e-6)
    assert data["run"]["energy_audit_relative_error"] < 1e-6
    # a second run reuses it
    assert cli.main(["characterize", str(case_file), "--flows", "0.2 L/min"]) == 0
    assert "thermal impedance: reusing" in capsys.readouterr().err
