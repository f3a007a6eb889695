"""The coupled-rack case sections: plate-group ``case``, ``[coupling]``, ``[report]``,
``[[scenarios]]``; one-line key-path errors; the geometry hash covers the plate layout."""

from pathlib import Path

import pytest

from solver.case import CaseError, case_hash, load_case
from solver.pipeline import design_limits

CASES = Path(__file__).resolve().parents[2] / "cases"


def _rack_text(**replace):
    text = (CASES / "rack_coupled.toml").read_text()
    for old, new in replace.items():
        assert old in text, old
        text = text.replace(old, new)
    return text


def _write(tmp_path, text, name="rack.toml"):
    (tmp_path / "rack_gpu_plate.toml").write_text((CASES / "rack_gpu_plate.toml").read_text())
    path = tmp_path / name
    path.write_text(text)
    return path


def test_the_example_validates_with_its_sections():
    case = load_case(CASES / "rack_coupled.toml")
    assert case.network.rack.plates[0].case == "rack_gpu_plate.toml"
    assert [s.kind for s in case.scenarios] == ["pump_failed", "facility_offset", "power_scale"]
    limits = design_limits(case)
    assert limits.water_class == "W32"  # from the rack's facility water
    assert limits.room_dew_point == pytest.approx(291.15)
    assert limits.rack_pressure_drop_max == pytest.approx(60e3)


def test_missing_plate_case_file_is_a_one_line_key_path_error(tmp_path):
    path = _write(tmp_path, _rack_text(**{'case = "rack_gpu_plate.toml"':
                                          'case = "nowhere.toml"'}))
    with pytest.raises(CaseError) as info:
        load_case(path)
    text = str(info.value)
    assert "network.rack.plates[0].case" in text and "not found" in text
    assert "\n" not in text


def test_plate_group_needs_curves_or_a_case(tmp_path):
    path = _write(tmp_path, _rack_text(**{'case = "rack_gpu_plate.toml"': ''}))
    with pytest.raises(CaseError) as info:
        load_case(path)
    text = str(info.value)
    assert "network.rack.plates[0]" in text and "give flows and pressure_drops, or case" in text
    assert "\n" not in text


@pytest.mark.parametrize(("old", "new", "where"), [
    ('kind = "pump_failed"', 'kind = "pump_exploded"', "scenarios[0]"),
    ("delta = 5.0", 'delta = "hot"', "scenarios[1].delta"),
    ('room_dew_point = "18 C"', 'room_dew_pont = "18 C"', "report.room_dew_pont"),
    ('every_plate = false', 'every_plate = "sometimes"', "coupling.every_plate"),
])
def test_bad_rack_sections_name_their_key(tmp_path, old, new, where):
    path = _write(tmp_path, _rack_text(**{old: new}))
    with pytest.raises(CaseError) as info:
        load_case(path)
    assert where in str(info.value) and "\n" not in str(info.value)


def test_report_bands_are_checked(tmp_path):
    path = _write(tmp_path, _rack_text(**{'[report]\n': '[report]\ntcs_rise_min = 14\n'}))
    with pytest.raises(CaseError, match="tcs_rise_min"):
        load_case(path)


def test_geometry_hash_covers_footprints_and_patches_not_values():
    plate = load_case(CASES / "rack_gpu_plate.toml")
    key = case_hash(plate, scope="geometry")
    # chip power and inlet values are what characterization scales or varies: same curves
    chips = [c.model_copy(update={"power": 2 * c.power}) for c in plate.chips]
    boundaries = [b.model_copy(update={"temperature": 300.0}) if b.type == "inlet" else b
                  for b in plate.boundaries]
    assert case_hash(plate.model_copy(update={"chips": chips, "boundaries": boundaries}),
                     scope="geometry") == key
    # a moved chip footprint or inlet patch changes the curves
    chip = plate.chips[0]
    data = chip.model_dump()
    data["footprint"] = {"min": [0.02, 0.01], "max": [0.03, 0.02]}
    moved = plate.model_copy(update={"chips": [type(chip).model_validate(data)]})
    assert case_hash(moved, scope="geometry") != key
    inlet = next(b for b in plate.boundaries if b.type == "inlet")
    shifted = inlet.model_copy(update={"side": "y_min"})
    other = plate.model_copy(update={"boundaries": [shifted if b is inlet else b
                                                    for b in plate.boundaries]})
    assert case_hash(other, scope="geometry") != key


def test_network_only_rack_gets_the_report(tmp_path):
    """cases/rack_network.toml through `coolsim run`: report.md/.json from the report's
    DesignLimits (the one set of checks), every check passes or is n/a."""
    from solver.pipeline import run

    summary = run(load_case(CASES / "rack_network.toml"), backend="cpu", output=tmp_path,
                  quiet=True)
    folder = tmp_path / "rack_network"
    assert (folder / "report.md").is_file() and (folder / "report.json").is_file()
    assert summary["report"]["passed"]
    names = {c["name"] for c in summary["report"]["checks"]}
    assert {"chip_limits", "flow_per_kw", "facility_water_class", "heat_balance"} <= names
