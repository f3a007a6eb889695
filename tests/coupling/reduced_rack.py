"""The coupled rack example reduced for tests (shared by the coupled-rack test modules): the GPU
plate on a 5 mm grid along the channels (8 cells along x instead of 15: 23,520 cells instead of
44,100; still 4 cells across each channel), two characterization flows, and the CDU pumps at a
fixed speed (no flow control) so that a pump trip lowers the flow."""

from pathlib import Path

CASES = Path(__file__).resolve().parents[2] / "cases"
FIXED_SPEED = 0.567  # [-] close to the speed the flow control of the example settles at


def reduced_rack(tmp_path: Path, extra: str = "") -> Path:
    """Write the reduced rack (and its plate case) into ``tmp_path``, with ``extra`` TOML
    appended; returns the rack case path."""
    plate = (CASES / "rack_gpu_plate.toml").read_text()
    for old in ('max_spacing = ["2.5 mm", "1 mm", "1 mm"]',
                'max_spacing = ["2.5 mm", "0.125 mm", "1 mm"]'):
        assert old in plate, old
        plate = plate.replace(old, old.replace("2.5 mm", "5 mm"))
    (tmp_path / "rack_gpu_plate.toml").write_text(plate)
    rack = (CASES / "rack_coupled.toml").read_text()
    replacements = {
        'flows = ["0.75 L/min", "1.25 L/min", "1.75 L/min", "2.5 L/min"]':
            'flows = ["1 L/min", "2 L/min"]',
        'pump_target = "flow"': 'pump_target = "none"',
        "count = 2\nrunning = 2": f"count = 2\nrunning = 2\nspeed = {FIXED_SPEED}",
    }
    for old, new in replacements.items():
        assert old in rack, old
        rack = rack.replace(old, new)
    path = tmp_path / "rack_coupled.toml"
    path.write_text(rack + extra)
    return path
