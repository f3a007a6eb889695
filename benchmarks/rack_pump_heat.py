"""Pump heat and plate-curve temperature correction on the coupled rack example; JSON lines.

``cases/rack_coupled.toml`` (18 trays, 72 GPU plates solved in 3D at the hottest one's
operating point, CDU pumps on flow control, TCS supply controlled to 36 C) is coupled twice:
with the pumps' shaft power heating the coolant (``[network] pump_heat = true``, the default)
and without. Printed per run: the pump heat [W] (shaft power, with hydraulic power and
efficiency), TCS supply and return temperatures, the hottest chip's peak temperature, the heat
rejected against chip power plus pump heat (energy balance), the plate dP curve's correction
factor from the characterization's coolant state to the operating one (min/max over the
plates), the characterization's mean coolant temperatures and the coupling's final dP factors
(3D dP over network dP at the solved plate). A last line gives the differences.

Run: ``OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/rack_pump_heat.py`` (about 1-2 min
on 2 cores: 4 characterization solves on a first run, then 2-3 plate solves per coupling).
"""

from __future__ import annotations

import json
import os
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from solver.case import load_case  # noqa: E402
from solver.case.validate import plate_case_files  # noqa: E402
from solver.coupling import CouplingTolerances, couple_rack  # noqa: E402
from solver.units import ZERO_CELSIUS  # noqa: E402

CASE = os.path.join(os.path.dirname(__file__), "..", "cases", "rack_coupled.toml")


def run(case, pump_heat: bool) -> dict:
    """Couple the rack with or without pump heat; the figures of one JSON line."""
    section = case.network.model_copy(update={"pump_heat": pump_heat})
    plates = {group: load_case(path) for group, path in plate_case_files(case).items()}
    settings = case.coupling
    start = time.perf_counter()
    coupled = couple_rack(section, case.coolant_material(), plates, settings.flows,
                          tolerances=CouplingTolerances(
                              flow_rtol=settings.flow_rtol,
                              temperature_tol=settings.temperature_tol,
                              heat_rtol=settings.heat_rtol, max_passes=settings.max_passes))
    seconds = time.perf_counter() - start
    summary = coupled.result.summary
    report = coupled.report()
    chips = [c for c in report["chips"] if c["temperature"] is not None]
    hottest = max(chips, key=lambda c: c["temperature"])
    curves = next(iter(coupled.plate_curves.values()))
    pump = summary["pump"]
    return {
        "pump_heat_on": pump_heat, "coolant": summary["coolant_description"],
        "pump_heat_W": summary["pump_heat"], "shaft_power_W": pump["shaft_power"],
        "hydraulic_power_W": pump["pressure_rise"] * pump["flow"],
        "pump_efficiency": pump["efficiency"], "pump_flow_lpm": pump["flow_lpm"],
        "pump_rise_kPa": pump["pressure_rise"] / 1e3,
        "chip_power_W": report["total_power"],
        "heat_rejected_W": summary["cdu"]["heat_rejected"],
        "energy_balance_error": summary["energy_balance_error"],
        "tcs_supply_C": summary["tcs"]["supply_temperature"] - ZERO_CELSIUS,
        "tcs_return_C": summary["tcs"]["return_temperature"] - ZERO_CELSIUS,
        "hottest_chip": hottest["name"], "hottest_peak_C": hottest["temperature"] - ZERO_CELSIUS,
        "plate_dp_correction": summary["plates"]["pressure_drop_correction"],
        "characterization_mean_temperatures_C": [float(t - ZERO_CELSIUS)
                                                 for t in curves.mean_temperatures],
        "characterization_inlet_C": curves.inlet_temperature - ZERO_CELSIUS,
        "coupling_dp_factors": sorted({round(f, 6) for f in
                                       coupled.pressure_drop_factors.values()}),
        "coupling_passes": len(coupled.history), "converged": coupled.converged,
        "coupling_history": coupled.history,
        "seconds": seconds, "load": os.getloadavg()[0]}


def main():
    case = load_case(CASE)
    rows = [run(case, True), run(case, False)]
    for row in rows:
        print(json.dumps(row))
    on, off = rows
    print(json.dumps({"pump_heat_W": on["pump_heat_W"],
                      "supply_change_K": on["tcs_supply_C"] - off["tcs_supply_C"],
                      "return_change_K": on["tcs_return_C"] - off["tcs_return_C"],
                      "hottest_peak_change_K": on["hottest_peak_C"] - off["hottest_peak_C"],
                      "heat_rejected_change_W": on["heat_rejected_W"] - off["heat_rejected_W"]}))


if __name__ == "__main__":
    main()
