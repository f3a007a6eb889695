"""``case.with_changes``: key paths as error messages write them, the same validation as a file,
the same one-line errors, relative paths still resolved against the original case file."""

from pathlib import Path

import pytest

from solver.case import CaseError, case_hash, load_case, parse_key_path, value_at

ROOT = Path(__file__).resolve().parents[2]
UNIT_CELL = ROOT / "cases" / "coldplate_unit_cell.toml"
RACK = ROOT / "cases" / "rack_network.toml"

PLATE = """
[case]
name = "mapped"

[[bodies]]
name = "die"
material = "silicon"
shape = "box"
min = [0, 0, 0]
max = ["10 mm", "10 mm", "1 mm"]

[[chips]]
name = "gpu"
body = "die"
power = "{power}"
power_map = "maps/hot.csv"

[[boundaries]]
name = "top"
side = "z_max"
type = "temperature"
temperature = "30 C"
"""


@pytest.fixture
def plate(tmp_path):
    """A case in its own folder whose chip names a power map by a relative path."""
    (tmp_path / "maps").mkdir()
    (tmp_path / "maps" / "hot.csv").write_text("1, 2\n3, 4\n")
    path = tmp_path / "plate.toml"
    path.write_text(PLATE.format(power="1 kW"))
    return path


def test_changes_give_the_case_the_file_would_give(plate, tmp_path):
    """A changed case equals the case read from a file holding the changed value: same
    validated values, same case hash."""
    changed = load_case(plate).with_changes({"chips[0].power": "1.2 kW"})
    written = tmp_path / "written.toml"
    written.write_text(PLATE.format(power="1.2 kW"))
    from_file = load_case(written)
    assert changed.chips[0].power == 1200.0
    assert case_hash(changed) == case_hash(from_file)
    assert changed.model_dump(exclude={"case"}) == from_file.model_dump(exclude={"case"})


def test_the_original_is_left_as_it_was(plate):
    case = load_case(plate)
    case.with_changes({"chips[gpu].power": "2 kW", "bodies[die].max": ["20 mm", "10 mm", "1 mm"]})
    assert case.chips[0].power == 1000.0
    assert case.raw["chips"][0]["power"] == "1 kW"
    assert case.bodies[0].max == (0.01, 0.01, 0.001)


def test_relative_paths_resolve_against_the_original_file(plate, tmp_path, monkeypatch):
    """The power map ``maps/hot.csv`` is found from another working directory: the changed case
    keeps the original case folder."""
    case = load_case(plate)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    changed = case.with_changes({"chips[0].power": "500 W"})
    assert changed.case_dir == plate.parent
    assert changed.resolve(changed.chips[0].power_map) == plate.parent / "maps" / "hot.csv"
    assert changed.display_path == case.display_path
    # the semantic pass runs: a power map that is not there is refused, naming the key
    with pytest.raises(CaseError) as caught:
        case.with_changes({"chips[gpu].power_map": "maps/missing.csv"})
    assert "chips[gpu].power_map" in str(caught.value)


def test_items_by_name_and_the_issue_examples():
    plate = load_case(UNIT_CELL)
    changed = plate.with_changes({"boundaries[inlet].volumetric_flow": "1.5 L/min",
                                  "coolant.name": "PG25"})
    inlet = changed.boundaries[4]
    # an inlet takes one flow specification: the new one replaces the velocity
    assert inlet.volumetric_flow == pytest.approx(1.5e-3 / 60, rel=1e-15)
    assert inlet.velocity is None
    assert changed.coolant.name == "PG25"
    rack = load_case(RACK).with_changes({"network.rack.trays": 8,
                                         "network.rack.plates[gpu].power": "1.2 kW"})
    assert rack.network.rack.trays == 8
    assert rack.network.rack.plates[0].power == 1200.0
    assert value_at(rack, "network.rack.plates[gpu].power") == (1200.0, "W")
    assert value_at(changed, "boundaries[inlet].temperature") == (298.15, "K")


@pytest.mark.parametrize(("changes", "key", "words"), [
    ({"boundaries[inlet].flow": "1.5 L/min"}, "boundaries[inlet].flow",
     ("unknown key", "allowed:", "volumetric_flow", "mass_flow")),
    ({"boundaries[nozzle].velocity": 1.0}, "boundaries[nozzle].velocity",
     ("no item named 'nozzle'", "inlet", "outlet", "heater")),
    ({"boundaries[inlet].velocity": "-1 m/s"}, "boundaries[inlet].velocity",
     ("out of range", '"-1 m/s"', "> 0 m/s")),
    ({"grid.max_spacing": "1 furlong"}, "grid.max_spacing", ("cannot read as a length", "mm")),
    ({"coolant.name": "brine"}, "coolant.name", ("unknown coolant", "PG25", "water")),
    ({"solver.flow.schme": "tvd"}, "solver.flow.schme", ("did you mean 'scheme'",)),
    ({"bodies[9].max": [1, 2, 3]}, "bodies[9].max", ("no index 9", "plate", "channel")),
    ({"chips..power": 1}, "chips..power", ("not a key path",)),
    ({"boundaries[inlet].side": "w_max"}, "boundaries[inlet].side", ("not an allowed value",)),
])
def test_a_bad_change_is_one_line_naming_the_key(changes, key, words):
    """The error of a bad change is the one line of a bad file: the case file, the key path as
    the change wrote it, what was found and what is allowed."""
    with pytest.raises(CaseError) as caught:
        load_case(UNIT_CELL).with_changes(changes)
    text = str(caught.value)
    assert "\n" not in text
    assert text.startswith(f"{UNIT_CELL}: {key}: "), text
    for word in words:
        assert word in text, text


def test_a_bad_rack_change_names_the_key():
    with pytest.raises(CaseError) as caught:
        load_case(RACK).with_changes({"network.rack.trays": 0})
    assert f"{RACK}: network.rack.trays: out of range" in str(caught.value)


def test_key_paths_are_read_as_error_messages_write_them():
    assert parse_key_path("chips[0].power") == ["chips", 0, "power"]
    assert parse_key_path("boundaries[inlet].velocity") == ["boundaries", "[inlet]", "velocity"]
    assert parse_key_path("network.rack.plates[gpu].count") == \
        ["network", "rack", "plates", "[gpu]", "count"]
    for bad in ("", "[0].power", "chips[0]power", "a..b", "chips[0"):
        with pytest.raises(ValueError):
            parse_key_path(bad)
