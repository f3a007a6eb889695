"""Off-screen renders of a small synthetic result (a copper base under a water channel)."""

import io

import numpy as np
import pytest

from solver.grid import Grid
from solver.output import ResultDirectory, build_summary, render, write_summary

MATERIALS = [{"id": 0, "name": "copper", "kind": "solid"},
             {"id": 1, "name": "water", "kind": "fluid"}]


def _synthetic_result(root, flow: bool, cross_flow: float = 0.0) -> ResultDirectory:
    """12 x 6 x 6 plate, 40 x 10 x 5 mm: copper below z = 2 mm, water channel above in y < 5 mm,
    an empty corner (id -1); a warm spot in the copper; axial flow in the channel, 0.3 m/s along
    x plus ``cross_flow`` [m/s] along y."""
    grid = Grid(np.linspace(0, 0.04, 13), np.linspace(0, 0.01, 7),
                np.array([0.0, 0.001, 0.002, 0.003, 0.004, 0.0045, 0.005]))
    x, y, z = np.meshgrid(*grid.centers, indexing="ij")
    channel = (z > 0.002) & (y < 0.005)
    material = np.zeros(grid.shape, np.int32)
    material[channel] = 1
    material[(z > 0.0045) & (x > 0.035)] = -1
    temperature = 298.15 + 40.0 * np.exp(-((x - 0.02) ** 2 + (y - 0.007) ** 2) / 1e-4)
    arrays = {"temperature": temperature, "body_id": material}
    if flow:
        velocity = np.zeros((*grid.shape, 3))
        velocity[..., 0] = np.where(channel, 0.3, 0.0)
        velocity[..., 1] = np.where(channel, cross_flow, 0.0)
        arrays["velocity"] = velocity
    result = ResultDirectory(root, "synthetic").create()
    result.write_fields(grid, arrays, field_data={"materials": MATERIALS}, legacy=False)
    write_summary(result, build_summary(case_name="synthetic", grid=grid, materials=MATERIALS))
    return result


def _assert_pngs(paths, names):
    assert [p.name for p in paths] == [f"{n}.png" for n in names]
    for path in paths:
        data = path.read_bytes()
        assert data.startswith(b"\x89PNG") and len(data) > 5000, path


def test_solid_ids_from_material_table():
    np.testing.assert_array_equal(render.solid_ids(MATERIALS, np.array([-1, 0, 1, 0])), [0])
    np.testing.assert_array_equal(render.solid_ids([], np.array([-1, 2, 0])), [0, 2])


def test_render_conduction_result_offscreen(tmp_path):
    result = _synthetic_result(tmp_path, flow=False)
    paths = render.render_result(result)
    _assert_pngs(paths, ["solid_temperature", "solid_temperature_below", "temperature_slice_x",
                         "temperature_slice_y", "temperature_slice_z", "heat_path_across",
                         "heat_path_along"])
    assert all(p.parent == result.images for p in paths)
    assert not [p for p in result.images.iterdir() if p.name.startswith(".")]


def test_render_flow_result_adds_velocity_and_streamlines(tmp_path):
    # a flow that crosses the channel at 0.15 m/s: straightness 0.3 / hypot(0.3, 0.15)
    # = 2 / sqrt(5) = 0.894, below the 0.98 of a straight flow
    result = _synthetic_result(tmp_path, flow=True, cross_flow=0.15)
    scene = render.Scene(result)
    assert render.straightness(scene) == pytest.approx(2.0 / np.sqrt(5.0), rel=1e-12)
    paths = render.render_result(result)
    _assert_pngs(paths, ["solid_temperature", "solid_temperature_below", "temperature_slice_x",
                         "temperature_slice_y", "temperature_slice_z", "heat_path_across",
                         "heat_path_along", "velocity_slice_x", "velocity_slice_y",
                         "velocity_slice_z", "streamlines"])


def test_straight_channel_flow_gets_no_streamlines(tmp_path):
    # 0.3 m/s along x only: straightness 1, the streamlines would be parallel lines
    result = _synthetic_result(tmp_path, flow=True)
    scene = render.Scene(result)
    assert render.straightness(scene) == pytest.approx(1.0, rel=1e-12)
    seeds = scene.inlet_seeds()
    assert seeds is not None and seeds.n_points > 0
    np.testing.assert_allclose(seeds.points[:, 0], 0.04 / 24)  # first cell centres at x_min
    result.images.mkdir(parents=True, exist_ok=True)
    result.image("streamlines").write_bytes(b"from an earlier run")
    names = [p.name for p in render.render_result(result)]
    assert "streamlines.png" not in names and "velocity_slice_x.png" in names
    assert not result.image("streamlines").exists()


def test_heat_path_cuts_through_the_hottest_solid_cell(tmp_path):
    # warm spot at x = 20 mm, y = 7 mm in the copper (id 0); cells 3.33 x 1.67 mm, the channel
    # (water) in y < 5 mm, flow along +x
    scene = render.Scene(_synthetic_result(tmp_path, flow=True))
    assert render.main_flow_axis(scene) == (0, 1.0)
    normal, position, body = render.heat_path_cut(scene, across=True)
    # across the flow: normal x, at the centre of a cell next to x = 20 mm (18.33 or 21.67 mm)
    assert normal == 0 and body == 0
    assert abs(position - 0.02) == pytest.approx(0.04 / 24, rel=1e-9)
    # along the flow: normal y, moved from the hottest cell's y = 7.5 mm (solid only above the
    # base) to the nearest layer holding coolant, y = 4.17 mm
    normal, position, body = render.heat_path_cut(scene, across=False)
    assert normal == 1 and body == 0
    assert position == pytest.approx(2.5 * 0.01 / 6, rel=1e-9)
    assert scene.material_names == {0: "copper", 1: "water"}


def test_show_without_display_renders_and_prints(tmp_path, monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    assert not render.has_display()
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.setenv("CI", "true")
    assert not render.has_display()
    result = _synthetic_result(tmp_path, flow=False)
    out = io.StringIO()
    paths = render.show(result.path, interactive=False, stream=out)
    assert out.getvalue().splitlines() == [str(p) for p in paths]


def test_missing_fields_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="fields.vtr"):
        render.render_result(ResultDirectory(tmp_path, "nothing"))


def test_show_window_path_builds_scene(tmp_path, monkeypatch):
    """The interactive branch, with PyVista forced off-screen so no window opens."""
    import pyvista as pv

    monkeypatch.setattr(pv, "OFF_SCREEN", True)
    result = _synthetic_result(tmp_path, flow=True)
    assert render.show(result, interactive=True) == []
    assert render.show(result, interactive=True, window=False, stream=io.StringIO())


def test_render_bare_temperature_field(tmp_path):
    """Fields without a body_id array or summary: every cell is drawn as solid."""
    grid = Grid.uniform((0.02, 0.01, 0.004), (8, 4, 3))
    result = ResultDirectory(tmp_path, "bare").create()
    temperature = 300.0 + np.arange(96.0).reshape(8, 4, 3)
    result.write_fields(grid, {"temperature": temperature}, legacy=False)
    paths = render.render_result(result, window_size=(600, 400))
    # the five standard pictures and the two heat-path cuts (solid only, no coolant outlined)
    assert len(paths) == 7 and all(p.stat().st_size > 2000 for p in paths)


def test_streamlines_without_boundary_inflow_seed_in_coolant(tmp_path):
    """A closed cavity (no flow through the sides): streamlines are still drawn."""
    grid = Grid.uniform((0.01, 0.01, 0.01), (8, 8, 8))
    x, y, z = np.meshgrid(*grid.centers, indexing="ij")
    velocity = np.zeros((8, 8, 8, 3))
    velocity[..., 0] = -(y - 0.005)  # solid-body rotation about the z axis
    velocity[..., 1] = x - 0.005
    velocity[[0, -1]] = 0.0
    velocity[:, [0, -1]] = 0.0
    material = np.ones((8, 8, 8), dtype=np.int32)
    result = ResultDirectory(tmp_path, "cavity").create()
    result.write_fields(grid, {"temperature": 300.0 + x, "body_id": material,
                               "velocity": velocity}, field_data={"materials": MATERIALS},
                        legacy=False)
    assert render.Scene(result).inlet_seeds() is None
    paths = render.render_result(result, window_size=(600, 400))
    assert paths[-1].name == "streamlines.png" and paths[-1].stat().st_size > 2000


def test_vertical_exaggeration_for_thin_stacks():
    plate = np.array([[0.0, 0.06], [0.0, 0.06], [0.0, 0.0085]])  # 60 x 60 x 8.5 mm
    assert render.vertical_exaggeration(plate, "xy") == 1.0
    factor = render.vertical_exaggeration(plate, "xz")
    assert factor == 2.0 and 0.06 / (0.0085 * factor) <= 4.0
    foil = np.array([[0.0, 0.1], [0.0, 0.1], [0.0, 0.0001]])
    assert render.vertical_exaggeration(foil, "yz") == 200.0
