"""Conjugate cold-plate model: monitors, patches, balances, checkpoints, divergence."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from solver.backend import get_backend
from solver.boundaries import Inlet, Patch
from solver.case import load_case
from solver.models.coldplate import FluidFacePatch, Monitor
from solver.models.flow import DivergenceError, FlowSolver
from solver.output import ResultDirectory, load_checkpoint
from solver.pipeline import run
from solver.setup import build_solid_model, from_case

CASES = Path(__file__).resolve().parents[2] / "cases"


def unit_cell_case(**output):
    """The peer unit cell on a 0.5 mm grid (a few thousand cells), no images."""
    case = load_case(CASES / "coldplate_unit_cell.toml")
    grid = case.grid.model_copy(update={"max_spacing": 5e-4})
    out = case.output.model_copy(update={"write_images": False, **output})
    return case.model_copy(update={"grid": grid, "output": out})


def test_monitor_settles_on_relative_change_over_window():
    monitor = Monitor(1e-3, window=3)
    for value in (100.0, 120.0, 110.0):
        monitor.add(value)
    assert not monitor.settled  # fewer than window + 1 values
    for value in (100.01, 100.02, 100.0, 100.03):
        monitor.add(value)
    assert monitor.change == pytest.approx(0.03 / 100.03)
    assert monitor.settled


def test_inlet_patch_restricted_to_fluid_faces_for_energy():
    case = unit_cell_case()
    model = build_solid_model(case, get_backend("cpu"))
    plate = from_case(case, model)
    inlet = next(b for b in plate.boundaries if isinstance(b, Inlet))
    assert isinstance(inlet.patch, FluidFacePatch)
    mask = inlet.patch.face_mask(model.grid)
    fluid_layer = plate.fluid_host[0]
    assert mask.any() and not (mask & ~fluid_layer).any()
    # the rectangle itself also covers no solid here, but a wider one would be cut back
    wide = FluidFacePatch("x_min", None, fluid_faces=fluid_layer)
    assert np.array_equal(wide.face_mask(model.grid), fluid_layer)
    assert Patch("x_min").face_mask(model.grid).sum() > fluid_layer.sum()


def test_unit_cell_balances_and_resistance(tmp_path):
    summary = run(unit_cell_case(), backend="cpu", output=tmp_path, quiet=True)
    flow = summary["flow"]
    # heat in = 62.5 kW/m2 over 40 x 1 mm = 2.5 W; outlet rise = Q / (m cp) (energy balance)
    assert flow["heat_input_W"] == pytest.approx(2.5, rel=1e-12)
    assert flow["energy_balance_relative_error"] < 1e-3
    assert flow["mass_balance_relative_error"] < 1e-6
    m_cp = flow["mass_flow_kg_per_s"] * 4181.0
    assert flow["outlet_temperature_rise_K"] == pytest.approx(2.5 / m_cp, rel=1e-3)
    # R = (mean heated-face temperature - inlet) / Q, and the face is hotter than the coolant
    assert flow["thermal_resistance_K_per_W"] == pytest.approx(
        (flow["case_temperature_K"] - flow["inlet_temperature_K"]) / 2.5)
    assert flow["peak_temperature_K"] > flow["case_temperature_K"] > flow["outlet_temperature_K"]
    assert flow["pressure_drop_Pa"] > 0 and flow["total_pressure_drop_Pa"] > 0
    result = Path(tmp_path) / "coldplate_unit_cell"
    for name in ("fields.vtr", "wall_heat_flux.vtp", "summary.json", "history.csv"):
        assert (result / name).is_file(), name
    assert ResultDirectory(tmp_path, "coldplate_unit_cell").checkpoint.is_file()


@pytest.mark.gpu
def test_unit_cell_gpu_run_matches_cpu(tmp_path):
    """The whole pipeline on the GPU backend (kernels, captured preconditioning cycles,
    hierarchies updated in place) gives the CPU's iterations, pressure drop and thermal
    resistance to 1e-8 and closes the same balances."""
    results = {backend: run(unit_cell_case(), backend=backend, output=tmp_path / backend,
                            quiet=True)["flow"] for backend in ("cpu", "gpu")}
    cpu, gpu = results["cpu"], results["gpu"]
    assert gpu["flow_iterations"] == cpu["flow_iterations"]
    for key in ("pressure_drop_Pa", "thermal_resistance_K_per_W", "peak_temperature_K",
                "outlet_temperature_rise_K"):
        assert gpu[key] == pytest.approx(cpu[key], rel=1e-8), key
    assert gpu["energy_balance_relative_error"] < 1e-3
    assert gpu["mass_balance_relative_error"] < 1e-6


def test_wall_heat_flux_integrates_to_the_heat_input(tmp_path):
    import pyvista as pv

    run(unit_cell_case(), backend="cpu", output=tmp_path, quiet=True)
    surface = pv.read(Path(tmp_path) / "coldplate_unit_cell" / "wall_heat_flux.vtp")
    heat = float(np.sum(surface.cell_data["wall_heat_flux"] * surface.cell_data["area"]))
    # all 2.5 W cross the fluid-solid interface (the lid and the sides are adiabatic)
    assert heat == pytest.approx(2.5, rel=5e-3)
    # the run writes the wall temperature and h on the local bulk temperature, with units
    # (validated in tests/models/test_heat_transfer_validation.py against Shah & London)
    units = dict(zip(surface.field_data["array_names"], surface.field_data["array_units"],
                     strict=True))
    assert units["heat_transfer_coefficient"] == "W/(m2 K)" and units["wall_temperature"] == "K"
    wall, bulk = surface.cell_data["wall_temperature"], surface.cell_data["bulk_temperature"]
    assert np.all(wall > bulk)  # heat flows from the heated plate into the coolant everywhere
    assert np.all(surface.cell_data["heat_transfer_coefficient"] > 0)


def test_checkpoint_and_resume(tmp_path):
    case = unit_cell_case()
    # (this 0.5 mm unit cell runs on the single grid: its coarsening reaches only 4-fold)
    flow = case.solver.flow.model_copy(update={"checkpoint_interval": 10, "max_iterations": 32})
    short = case.model_copy(update={"solver": case.solver.model_copy(update={"flow": flow})})
    first = run(short, backend="cpu", output=tmp_path, quiet=True)
    assert not first["solver"]["converged"]
    # an unconverged steady solve says so among the warnings, and what to do
    (note,) = [w for w in first["warnings"] if w.startswith("the steady solve stopped")]
    assert "32 flow iterations" in note and 'mode = "time_averaged"' in note
    path = ResultDirectory(tmp_path, "coldplate_unit_cell").checkpoint
    arrays, metadata = load_checkpoint(path)
    assert metadata["iteration"] == 32 and np.all(np.isfinite(arrays["u"]))
    # a resume continues from iteration 32 with a fresh iteration budget
    resumed = run(short, backend="cpu", output=tmp_path, quiet=True, resume=True)
    assert resumed["flow"]["flow_iterations"] == 64
    # a changed case refuses the checkpoint
    other = case.model_copy(update={"solver": case.solver.model_copy(
        update={"flow": flow.model_copy(update={"max_iterations": 36})})})
    with pytest.raises(Exception, match="different case"):
        run(other, backend="cpu", output=tmp_path, quiet=True, resume=True)


def test_divergence_keeps_last_good_state_and_writes_no_fields(tmp_path, monkeypatch):
    case = unit_cell_case()
    original = FlowSolver.iterate

    def poisoned(self):
        residuals = original(self)
        if self.iteration >= 8:
            self.velocity[0][...] = np.nan
            return type(residuals)(residuals.iteration, float("nan"), residuals.momentum,
                                   residuals.pressure_iterations, residuals.seconds)
        return residuals

    monkeypatch.setattr(FlowSolver, "iterate", poisoned)
    with pytest.raises(DivergenceError, match="Likely cause"):
        run(case, backend="cpu", output=tmp_path, quiet=True)
    result = Path(tmp_path) / "coldplate_unit_cell"
    assert not (result / "fields.vtr").exists()
    arrays, metadata = load_checkpoint(ResultDirectory(tmp_path, "coldplate_unit_cell").checkpoint)
    assert all(np.all(np.isfinite(a)) for a in arrays.values())


def test_time_averaged_mode_of_a_steady_plate_equals_the_steady_run(tmp_path):
    """The unit cell's flow is steady: run time-accurately (Courant 5, 3 flow-through times of
    start-up) its averaged pressure drop and thermal resistance equal the steady run's (1e-6),
    the batch-means interval is closed at once, and summary, history and picture say so."""
    import json

    case = unit_cell_case()
    steady = run(case, backend="cpu", output=tmp_path / "steady", quiet=True)["flow"]
    time = case.solver.flow.time.model_copy(update={"cfl": 5.0, "start_up": 3.0,
                                                    "min_average": 1.0,
                                                    "inner_tolerance": 1e-7})
    flow = case.solver.flow.model_copy(update={"mode": "time_averaged", "time": time})
    timed = case.model_copy(update={
        "solver": case.solver.model_copy(update={"flow": flow}),
        "output": case.output.model_copy(update={"write_images": True})})
    summary = run(timed, backend="cpu", output=tmp_path / "timed", quiet=True)
    averaged = summary["flow"]
    assert averaged["pressure_drop_Pa"] == pytest.approx(steady["pressure_drop_Pa"], rel=1e-6)
    assert averaged["thermal_resistance_K_per_W"] == pytest.approx(
        steady["thermal_resistance_K_per_W"], rel=1e-6)
    record = averaged["time_average"]
    assert record["converged"] and 4.0 <= record["flow_through_times"] < 4.2
    assert record["statistics"]["dp_Pa"]["mean"] == pytest.approx(averaged["pressure_drop_Pa"],
                                                                  rel=1e-9)
    assert summary["solver"]["flow_method"]["mode"] == "time_averaged"
    result = tmp_path / "timed" / "coldplate_unit_cell"
    assert "time-averaged over" in (result / "summary.txt").read_text()
    header = (result / "history.csv").read_text().splitlines()[0]
    assert "t_flow_through" in header and "courant" in header
    assert (result / "images" / "convergence.png").stat().st_size > 10_000
    assert json.loads((result / "summary.json").read_text())["flow"]["time_average"]


def _coarse_channel_plate(**changes):
    """The channel plate on a coarse grid (4 x 0.2 x 1 mm cells), no images."""
    case = load_case(CASES / "coldplate_channels.toml").with_changes(
        {"grid.max_spacing": ["4 mm", "0.2 mm", "1 mm"], "output.write_images": False,
         **changes})
    return from_case(case, build_solid_model(case, get_backend("cpu")))


def test_stalled_energy_correction_converges_with_a_frozen_limiter(monkeypatch):
    """The channel plate at 0.5 L/min on a coarse grid: its TVD energy correction stalls in a
    limiter limit cycle (the largest change stays at 2.7e-3 K per outer iteration, above the
    case's 1e-3 K, for 80 corrections when the limiter is never frozen: the stall is real).
    Frozen once the change stops falling, the solve converges below 1e-3 K; its temperatures
    lie within twice the cycle's change of the stalled iterate and its peak within the
    tolerance, and the energy balance closes to 1e-8. (All this with the under-relaxed
    correction alone; with Anderson acceleration over 3 corrections, the model's setting, the
    same solve converges in 25 corrections without freezing, its peak within the tolerance of
    the frozen solve's.)"""
    import solver.models.coldplate.model as cold_plate
    import solver.models.energy.solve as energy_solve

    monkeypatch.setattr(cold_plate, "ACCELERATION_DEPTH", 0)  # the relaxed correction alone
    plate = _coarse_channel_plate(**{"boundaries[inlet].volumetric_flow": "0.5 L/min"})
    plate.solve()
    tolerance = plate.settings.temperature_tolerance
    assert tolerance == pytest.approx(1e-3)
    inlet = np.full(plate.grid.shape, plate.inlet_temperature)

    plate.temperature = inlet.copy()
    frozen = plate._solve_energy(corrections=80)
    monkeypatch.setattr(energy_solve, "STALL_WINDOW", 10**9)  # never freezes
    plate.temperature = inlet.copy()
    stalled = plate._solve_energy(corrections=80)

    assert not stalled.converged and stalled.outer_history[-1] > 2.0 * tolerance
    assert frozen.converged and frozen.limiter_frozen_at is not None
    assert frozen.outer_history[-1] < tolerance
    cycle = stalled.outer_history[-1]
    assert np.abs(frozen.temperature - stalled.temperature).max() <= 2.0 * cycle
    assert abs(frozen.temperature.max() - stalled.temperature.max()) <= tolerance
    assert frozen.energy_balance["relative_imbalance"] < 1e-8
    # Anderson acceleration (the model's setting) breaks the cycle: converged, never frozen
    monkeypatch.setattr(cold_plate, "ACCELERATION_DEPTH", 3)
    plate.temperature = inlet.copy()
    accelerated = plate._solve_energy(corrections=80)
    print(accelerated.describe(), np.abs(accelerated.temperature - frozen.temperature).max())
    assert accelerated.converged and accelerated.limiter_frozen_at is None
    assert abs(accelerated.temperature.max() - frozen.temperature.max()) <= tolerance


def test_loose_early_passes_reach_the_fully_converged_state():
    """Water whose viscosity varies over the plate couples flow and energy in passes. With
    ``early_pass_factor`` 100 the passes before the pass monitors settle stop their flow at
    100x the tolerances; then the flow converges fully and the monitors must settle again.
    That reaches the state of converging every pass fully: pressure drop, outlet and peak
    temperature rises within the sum of both runs' monitor tolerances (each is within its own
    of the fixed point), in fewer SIMPLEC iterations, and the last pass is a full one. Run
    with the linear wall gradient (187 against 398 iterations when written): on this grid's 2
    cells per channel the default quadratic one saves less (385 against 480), on the example's
    own 4 cells as much (loose passes 8.4 s against 13.4 s, one core each)."""
    results = {factor: _coarse_channel_plate(**{"solver.nonlinear.early_pass_factor": factor,
                                                "solver.flow.wall_gradient": "linear"})
               for factor in (1.0, 100.0)}
    plate = results[1.0]
    full, loose = (plate.solve() for plate in results.values())
    assert full.converged and loose.converged and loose.metrics["coupled_properties"]

    def factors(result):
        return [h["flow_tolerance_factor"] for h in result.history if "pass" in h]

    assert set(factors(full)) == {1.0}
    assert factors(loose)[0] == 100.0 and factors(loose)[-1] == 1.0
    assert loose.metrics["flow_iterations"] < 0.8 * full.metrics["flow_iterations"]
    m = plate.settings.monitors
    for key, tolerance in (("pressure_drop_Pa", m.pressure_drop),
                           ("outlet_temperature_rise_K", m.outlet_temperature),
                           ("peak_temperature_rise_K", m.peak_temperature)):
        assert loose.metrics[key] == pytest.approx(full.metrics[key], rel=2 * tolerance), key


def test_a_first_pass_that_may_stay_the_only_one_converges_fully():
    """At 1 W the bulk temperature rise changes the water's viscosity by far less than the
    property tolerance: the first pass converges its flow fully (one pass, factor 1)."""
    result = _coarse_channel_plate(**{"chips[gpu].power": "1 W"}).solve()
    assert result.converged and result.passes == 1 and not result.metrics["coupled_properties"]
    assert [h["flow_tolerance_factor"] for h in result.history if "pass" in h] == [1.0]


def test_accelerated_energy_correction_converges_sooner_to_the_same_field(monkeypatch):
    """The TVD energy correction of the coarse channel plate with Anderson acceleration over
    3 corrections (the model's setting) and with the under-relaxed correction alone, both to
    the case's 1e-3 K: each within 10x that of the TVD solution (converged to 1e-7 K, the
    limiter never frozen; 5.2e-3 and 3.6e-3 K when written), the accelerated one in at most
    80 % of the corrections (28 against 43)."""
    import solver.models.coldplate.model as model

    plate = _coarse_channel_plate()
    plate._solve_flow(None, None, [])
    start = plate.temperature.copy()
    results = {}
    for depth in (0, 3):
        monkeypatch.setattr(model, "ACCELERATION_DEPTH", depth)
        plate.temperature = start.copy()
        results[depth] = plate._solve_energy()
    tolerance = plate.settings.temperature_tolerance
    plate.settings = replace(plate.settings, temperature_tolerance=1e-7)
    plate.temperature = start.copy()
    reference = plate._solve_energy(corrections=2000)
    # the TVD solution itself: converged with the live limiter, never frozen
    assert reference.converged and reference.limiter_frozen_at is None
    for result in results.values():
        assert result.converged
        assert np.abs(result.temperature - reference.temperature).max() < 10 * tolerance
    plain, accelerated = (len(results[d].outer_history) for d in (0, 3))
    assert accelerated <= 0.8 * plain
