"""Small racks for the transient-scenario tests: the example rack's trays, plates and CDU at a
size that runs in about a second (one or three trays, one running and one standby pump)."""

from __future__ import annotations

from pathlib import Path

SMALL_RACK = """
[case]
name = "small_rack"

[coolant]
name = "PG25"

[output]
write_fields = false

[network.rack]
trays = {trays}
manifold = "U"
header_diameter = "25 mm"
branch_diameter = "9.5 mm"
branch_length = "0.6 m"

[network.rack.quick_disconnect]
kv = 2.0
diameter = "8 mm"

[[network.rack.plates]]
name = "gpu"
count = 4
power = "1 kW"
flows = ["0.5 L/min", "1.0 L/min", "1.5 L/min", "2.0 L/min"]
pressure_drops = ["1.96 kPa", "7.08 kPa", "15 kPa", "25.5 kPa"]
resistance_flows = ["0.4 L/min", "1.0 L/min", "2.4 L/min"]
resistances = [0.039, 0.0277, 0.020]
{gpu_extra}

[[network.rack.plates]]
name = "cpu"
count = 2
power = "300 W"
flows = ["0.5 L/min"]
pressure_drops = ["15 kPa"]
resistance = 0.05

[network.rack.cdu]
pipe_length = "2 m"
pipe_diameter = "25 mm"

[network.rack.cdu.pumps]
flows = ["0 L/min", "10 L/min", "20 L/min", "30 L/min"]
pressures = ["100 kPa", "95 kPa", "80 kPa", "55 kPa"]
efficiencies = [0.05, 0.45, 0.6, 0.55]
count = 2
running = 1

[network.rack.cdu.heat_exchanger]
ua = {ua}
rated_hot_flow = "{flow} L/min"
rated_cold_flow = "{flow} L/min"
hot_pressure_drop = "20 kPa"
cold_pressure_drop = "20 kPa"

[network.rack.facility]
water_class = "W32"
flow = "{flow} L/min"

[network.rack.controls]
pump_target = "flow"
flow_setpoint = "{flow} L/min"
supply_temperature = "36 C"
min_facility_flow = "1 L/min"
max_facility_flow = "100 L/min"

[network.transient]
duration = "{duration} s"
time_step = "{dt} s"
{transient_extra}
"""


def small_rack_text(trays=3, duration=60.0, dt=0.25, gpu_extra="", transient_extra="",
                    scenarios=""):
    """TOML text of a small rack: ``trays`` trays of 4 x 1 kW GPU + 2 x 300 W CPU plates at
    1.5 L/min/kW, one running and one standby CDU pump, W32 facility water."""
    power_kw = 4.6 * trays
    return SMALL_RACK.format(trays=trays, duration=duration, dt=dt, gpu_extra=gpu_extra,
                             transient_extra=transient_extra, ua=1000.0 * power_kw / 1.4,
                             flow=round(1.5 * power_kw, 3)) + scenarios


def write_small_rack(folder: Path, name="small_rack.toml", **options) -> Path:
    """Write :func:`small_rack_text` to ``folder/name``; returns the path."""
    path = Path(folder) / name
    path.write_text(small_rack_text(**options))
    return path
