"""Pictures of a result: PNGs rendered off-screen with PyVista, or an interactive window.

:func:`render_result` reads ``fields.vtr`` (and the material table from ``summary.json`` or the
file's field data) and writes into ``images/``:

- ``solid_temperature.png`` and ``solid_temperature_below.png``: temperature [C] on the surfaces
  of the solid cells, isometric views from above and from below;
- ``temperature_slice_x.png``, ``_y``, ``_z``: temperature [C] on the three mid-planes;
- ``heat_path_across.png`` and ``heat_path_along.png``: the heat path from the die into the
  coolant, temperature [C] on vertical cuts through the hottest solid cell, across and along the
  main flow direction, solids and coolant alike, the hottest body (the die) outlined in black and
  the coolant in white; the cut along the flow runs through the coolant nearest to that cell
  and carries arrows at the inlet and outlet ends;
- with a ``velocity`` field: ``velocity_slice_x/y/z.png`` (speed [m/s] on the mid-planes) and
  ``streamlines.png`` (streamlines seeded on the inlet, found as the domain face with the largest
  inflow, over translucent solids), left out when the flow is straight (:func:`straightness`
  of at least :data:`STRAIGHT_FLOW`: straight channels, where streamlines are parallel lines
  that hide the plate).

All temperature pictures share one colour range, so they can be compared. :func:`show` opens a
window when a display exists and otherwise renders the PNGs and prints their paths; a result
without ``fields.vtr`` (a network or rack run) shows its network in the window, or else the
paths of the pictures and reports it wrote.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from solver.output.atomic import atomic_path, read_json
from solver.output.results import ResultDirectory
from solver.output.vtk import decode_field_data
from solver.units import ZERO_CELSIUS

WINDOW_SIZE = (1200, 800)  # [px]
FLUID_KINDS = ("fluid", "coolant")
AXIS_NAMES = ("x", "y", "z")
_VIEWS = {"x": "yz", "y": "xz", "z": "xy"}
TEMPERATURE_COLORMAP = "turbo"
# [-] speed-weighted share of the velocity along the main flow axis above which the flow counts
# as straight and the streamline picture is left out
STRAIGHT_FLOW = 0.98
SPEED_COLORMAP = "viridis"


def has_display() -> bool:
    """True when an interactive window can open: ``DISPLAY`` or ``WAYLAND_DISPLAY`` is set and
    the ``CI`` environment variable is not."""
    if os.environ.get("CI"):
        return False
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _result_dir(result_dir) -> ResultDirectory:
    return result_dir if isinstance(result_dir, ResultDirectory) else ResultDirectory.at(result_dir)


def _quiet_vtk() -> None:
    """Keep VTK's own warnings (e.g. 'bad X server connection' before the off-screen fallback)
    out of the user's terminal; errors still show."""
    from vtkmodules.vtkCommonCore import vtkLogger

    vtkLogger.SetStderrVerbosity(vtkLogger.VERBOSITY_ERROR)


def _material_table(result: ResultDirectory, metadata: Mapping[str, Any]) -> list[dict]:
    if result.summary.exists():
        materials = read_json(result.summary).get("materials") or []
        if materials:
            return list(materials)
    return list(metadata.get("materials") or [])


def solid_ids(materials: Sequence[Mapping[str, Any]], present: np.ndarray) -> np.ndarray:
    """Material ids of solid cells.

    Parameters
    ----------
    materials : sequence of dict
        Material table entries with ``id`` and ``kind`` (``"solid"``, ``"fluid"``/``"coolant"``).
    present : int array
        Ids present in the field (``-1`` = empty is never solid).

    Returns
    -------
    ndarray
        Ids whose kind is not fluid; without a table every non-negative id counts as solid.
    """
    present = np.unique(present)
    fluid = [int(m["id"]) for m in materials if str(m.get("kind", "solid")).lower() in FLUID_KINDS]
    return present[(present >= 0) & ~np.isin(present, fluid)]


class Scene:
    """The result as PyVista objects plus the choices shared by every picture."""

    def __init__(self, result: ResultDirectory):
        import pyvista as pv

        if not result.fields.exists():
            raise FileNotFoundError(f"no fields to render: {result.fields} does not exist")
        self.result = result
        self.mesh = pv.read(result.fields)
        _, metadata = decode_field_data(self.mesh)
        if "temperature" not in self.mesh.cell_data:
            raise ValueError(f"{result.fields} has no 'temperature' cell array")
        self.mesh.cell_data["temperature_C"] = self.mesh.cell_data["temperature"] - ZERO_CELSIUS
        n_cells = self.mesh.n_cells
        if "body_id" not in self.mesh.cell_data:  # a bare temperature field: all solid
            self.mesh.cell_data["body_id"] = np.zeros(n_cells, dtype=np.int32)
        material = np.asarray(self.mesh.cell_data["body_id"])
        self.material = material
        self.occupied = material >= 0
        table = _material_table(result, metadata)
        self.solid_ids = solid_ids(table, material)
        self.material_names = {int(m["id"]): str(m.get("name", m["id"])) for m in table}
        self.solid = np.isin(material, self.solid_ids)
        temperature = np.asarray(self.mesh.cell_data["temperature_C"])
        shown = temperature[self.occupied] if self.occupied.any() else temperature
        self.clim = [float(shown.min()), float(shown.max())]
        if self.clim[0] == self.clim[1]:
            self.clim[1] = self.clim[0] + 1.0
        self.has_velocity = "velocity" in self.mesh.cell_data
        if self.has_velocity:
            velocity = np.asarray(self.mesh.cell_data["velocity"])
            self.mesh.cell_data["speed"] = np.linalg.norm(velocity, axis=1)
        self.case_name = result.case_name
        self.bounds = np.asarray(self.mesh.bounds).reshape(3, 2)
        self.center = self.bounds.mean(axis=1)

    def plotter(self, window_size):
        import pyvista as pv

        plotter = pv.Plotter(off_screen=True, window_size=list(window_size))
        plotter.set_background("white")
        return plotter

    def scalar_bar(self, title: str, fmt: str = "%.1f") -> dict:
        """Horizontal colour bar centred at the bottom of the picture."""
        return {"title": title, "color": "black", "vertical": False, "position_x": 0.25,
                "position_y": 0.02, "height": 0.12, "width": 0.5, "fmt": fmt,
                "title_font_size": 18, "label_font_size": 15}

    def occupied_part(self, dataset):
        """Cells of ``dataset`` that are not empty (body_id >= 0)."""
        if "body_id" not in dataset.cell_data or self.occupied.all():
            return dataset
        keep = np.flatnonzero(np.asarray(dataset.cell_data["body_id"]) >= 0)
        return dataset.extract_cells(keep)

    def mid_slice(self, axis: int):
        """Mid-plane slice normal to ``axis`` (cell data carried over)."""
        origin = self.center.copy()
        # Offset a hair off a grid plane so the cut does not fall exactly on cell faces.
        faces = (self.mesh.x, self.mesh.y, self.mesh.z)[axis]
        index = int(np.clip(np.searchsorted(faces, origin[axis]) - 1, 0, faces.size - 2))
        origin[axis] = 0.5 * (faces[index] + faces[index + 1])
        return self.mesh.slice(normal=AXIS_NAMES[axis], origin=origin), origin[axis]

    def inlet_seeds(self, max_seeds: int = 200):
        """Seed points on the boundary face with the largest inflow, just inside the domain."""
        import pyvista as pv

        shape = tuple(int(d) - 1 for d in self.mesh.dimensions)
        velocity = np.asarray(self.mesh.cell_data["velocity"]).reshape((*shape, 3), order="F")
        faces = (np.asarray(self.mesh.x), np.asarray(self.mesh.y), np.asarray(self.mesh.z))
        centres = [0.5 * (f[1:] + f[:-1]) for f in faces]
        widths = [np.diff(f) for f in faces]
        fluid = (self.occupied & ~self.solid).reshape(shape, order="F")
        best = None
        for axis in range(3):
            for index, sign in ((0, 1.0), (-1, -1.0)):
                layer = sign * np.take(velocity[..., axis], index, axis=axis)
                layer = np.where(np.take(fluid, index, axis=axis), layer, 0.0)
                others = [a for a in range(3) if a != axis]
                area = np.outer(widths[others[0]], widths[others[1]])
                inflow = float((np.clip(layer, 0.0, None) * area).sum())
                if inflow > 0 and (best is None or inflow > best[0]):
                    best = (inflow, axis, index, layer, others)
        if best is None:
            return self._port_seeds(velocity, fluid, centres, max_seeds)
        _, axis, index, layer, others = best
        a, b = np.nonzero(layer > 0.05 * layer.max())
        if a.size > max_seeds:
            pick = np.linspace(0, a.size - 1, max_seeds).astype(int)
            a, b = a[pick], b[pick]
        points = np.empty((a.size, 3))
        points[:, others[0]] = centres[others[0]][a]
        points[:, others[1]] = centres[others[1]][b]
        points[:, axis] = centres[axis][index]
        return pv.PolyData(points)

    def _port_seeds(self, velocity, fluid, centres, max_seeds: int):
        """Seeds in the coolant cells that a port on a face of the geometry feeds: cells next
        to a solid or empty cell whose velocity leaves it at more than a third of the top speed
        (at walls the normal velocity is near zero). None when there are none."""
        import pyvista as pv

        shape = velocity.shape[:3]
        fast = 0.33 * float(np.linalg.norm(velocity, axis=-1).max())
        seeds = np.zeros(shape, dtype=bool)
        for axis in range(3):
            for step in (1, -1):
                # the neighbour at -step along axis is not coolant, the flow goes +step
                behind = np.roll(~fluid, step, axis=axis)
                edge = [slice(None)] * 3
                edge[axis] = 0 if step == 1 else -1
                behind[tuple(edge)] = False
                seeds |= fluid & behind & (step * velocity[..., axis] > fast)
        i, j, k = np.nonzero(seeds)
        if i.size == 0:
            return None
        pick = np.linspace(0, i.size - 1, min(i.size, max_seeds)).astype(int)
        return pv.PolyData(np.column_stack([centres[0][i[pick]], centres[1][j[pick]],
                                            centres[2][k[pick]]]))


def vertical_exaggeration(bounds, view: str, max_aspect: float = 4.0) -> float:
    """Stretch factor for the vertical axis of a planar ``view`` (e.g. ``"xz"``).

    Parameters
    ----------
    bounds : array (3, 2)
        Domain bounds [m].
    view : str
        Horizontal then vertical axis letter.
    max_aspect : float
        Width over height beyond which the picture is stretched.

    Returns
    -------
    float
        1 when the plane is not thinner than ``max_aspect``, else a round factor (1, 2, 5 times
        a power of ten) that brings it to between ``max_aspect / 2`` and ``max_aspect`` roughly.
    """
    extent = np.asarray(bounds)[:, 1] - np.asarray(bounds)[:, 0]
    horizontal, vertical = (AXIS_NAMES.index(c) for c in view)
    aspect = extent[horizontal] / extent[vertical]
    if aspect <= max_aspect:
        return 1.0
    wanted = aspect / (0.6 * max_aspect)
    decade = 10.0 ** np.floor(np.log10(wanted))
    factor = max(m * decade for m in (1.0, 2.0, 5.0) if m * decade <= wanted)
    return float(factor)


def _isometric(plotter, below: bool = False) -> None:
    """Isometric view from above (or from below, where a die under a cold plate is seen)."""
    plotter.add_axes(color="black")
    plotter.view_isometric()
    if below:
        # mirror the camera through the horizontal mid-plane of the scene
        focal = np.asarray(plotter.camera.focal_point)
        position = np.asarray(plotter.camera.position)
        position[2] = 2 * focal[2] - position[2]
        plotter.camera.position = position
    plotter.reset_camera()
    plotter.camera.zoom(1.05)


def _fit_plane(plotter, view: str) -> None:
    """Fill the picture with a plane seen head-on (parallel projection), leaving its lowest
    fifth to the colour bar and a strip at the top to the title."""
    camera = plotter.camera
    camera.tight(padding=0.25, adjust_render_window=False, view=view)
    camera.zoom(0.82)
    # move the camera down (the plane up) by 5 % of the picture height
    shift = 0.1 * camera.parallel_scale * np.asarray(camera.up)
    camera.position = np.asarray(camera.position) - shift
    camera.focal_point = np.asarray(camera.focal_point) - shift


def _save(plotter, path: Path) -> Path:
    # tick labels under each colour bar, its title above it: they never overlap
    for bar in plotter.scalar_bars.values():
        bar.SetTextPositionToPrecedeScalarBar()
    try:
        with atomic_path(path) as temporary:
            plotter.screenshot(str(temporary))
    finally:
        plotter.close()
    return path


def render_result(result_dir, window_size: tuple[int, int] = WINDOW_SIZE) -> list[Path]:
    """Render the standard pictures of a result into ``<result_dir>/images/`` off-screen.

    Parameters
    ----------
    result_dir : ResultDirectory or path-like
        Folder holding ``fields.vtr`` (and usually ``summary.json``).
    window_size : (int, int)
        Image size [px].

    Returns
    -------
    list of Path
        The PNG files written (each written atomically).
    """
    result = _result_dir(result_dir)
    _quiet_vtk()
    scene = Scene(result)
    result.images.mkdir(parents=True, exist_ok=True)
    written = [
        _render_solid_surface(scene, result.image("solid_temperature"), window_size),
        _render_solid_surface(scene, result.image("solid_temperature_below"), window_size,
                              below=True),
    ]
    for axis in range(3):
        name = f"temperature_slice_{AXIS_NAMES[axis]}"
        written.append(_render_slice(scene, axis, "temperature_C", "Temperature [C]",
                                     TEMPERATURE_COLORMAP,
                                     scene.clim, result.image(name), window_size))
    if scene.solid.any():
        written += [_render_heat_path(scene, across, result.image(
            "heat_path_across" if across else "heat_path_along"), window_size)
            for across in (True, False)]
    if scene.has_velocity:
        speed = np.asarray(scene.mesh.cell_data["speed"])
        speed_clim = [0.0, float(speed.max()) or 1.0]
        for axis in range(3):
            name = f"velocity_slice_{AXIS_NAMES[axis]}"
            written.append(_render_slice(scene, axis, "speed", "Speed [m/s]", SPEED_COLORMAP,
                                         speed_clim, result.image(name), window_size))
        if straightness(scene) < STRAIGHT_FLOW:
            streamlines = _render_streamlines(scene, result.image("streamlines"), window_size)
            if streamlines is not None:
                written.append(streamlines)
        else:
            # a picture from an earlier run of the folder would be taken for this one's
            result.image("streamlines").unlink(missing_ok=True)
    return written


def _render_solid_surface(scene: Scene, path: Path, window_size, below: bool = False) -> Path:
    plotter = scene.plotter(window_size)
    side = "from below" if below else "from above"
    if scene.solid.any():
        surface = scene.mesh.extract_cells(np.flatnonzero(scene.solid)).extract_surface(
            algorithm="dataset_surface")
        t_max = float(np.asarray(scene.mesh.cell_data["temperature_C"])[scene.solid].max())
        plotter.add_mesh(surface, scalars="temperature_C", cmap=TEMPERATURE_COLORMAP,
                         clim=scene.clim, preference="cell", show_edges=False,
                         ambient=0.4, diffuse=0.6,  # colours stay readable on faces in shade
                         scalar_bar_args=scene.scalar_bar("Temperature [C]"))
        title = f"{scene.case_name}: solid temperature {side}, max {t_max:.1f} C"
    else:
        title = f"{scene.case_name}: no solid cells"
    plotter.add_mesh(scene.mesh.outline(), color="grey")
    plotter.add_text(title, position="upper_left", font_size=12, color="black")
    _isometric(plotter, below=below)
    return _save(plotter, path)


def _render_slice(scene: Scene, axis: int, scalars: str, bar_title: str, cmap: str, clim,
                  path: Path, window_size) -> Path:
    plotter = scene.plotter(window_size)
    section, position = scene.mid_slice(axis)
    section = scene.occupied_part(section)
    fmt = "%.1f" if scalars.startswith("temperature") else "%.3g"
    if scalars == "speed" and section.n_cells:
        # speed only in the coolant; solids in grey for context
        in_solid = np.isin(np.asarray(section.cell_data["body_id"]), scene.solid_ids)
        if in_solid.any():
            plotter.add_mesh(section.extract_cells(np.flatnonzero(in_solid)), color="lightgrey")
        section = section.extract_cells(np.flatnonzero(~in_solid))
    if section.n_cells:
        plotter.add_mesh(section, scalars=scalars, cmap=cmap, clim=clim, preference="cell",
                         scalar_bar_args=scene.scalar_bar(bar_title, fmt))
    plotter.add_mesh(scene.mesh.outline(), color="grey")
    label = AXIS_NAMES[axis]
    what = "temperature" if scalars.startswith("temperature") else "speed"
    title = f"{scene.case_name}: {what}, mid-plane {label} = {position * 1e3:.2f} mm"
    factor = vertical_exaggeration(scene.bounds, _VIEWS[label])
    if factor > 1:
        # thin stacks (die, TIM, lid, base) would be a hairline: stretch the vertical axis
        vertical = AXIS_NAMES.index(_VIEWS[label][1])
        plotter.set_scale(**{f"{AXIS_NAMES[vertical]}scale": factor}, reset_camera=False)
        title += f" (vertical scale x{factor:g})"
    plotter.add_text(title, position="upper_left", font_size=12, color="black")
    plotter.add_axes(color="black")
    _fit_plane(plotter, _VIEWS[label])
    return _save(plotter, path)


def _cell_grid(scene: Scene):
    """Cell shape (nx, ny, nz) and cell-centre coordinates [m] per axis of the field."""
    faces = (np.asarray(scene.mesh.x), np.asarray(scene.mesh.y), np.asarray(scene.mesh.z))
    shape = tuple(f.size - 1 for f in faces)
    return shape, [0.5 * (f[1:] + f[:-1]) for f in faces]


def _coolant(scene: Scene) -> np.ndarray:
    return scene.occupied & ~scene.solid


def main_flow_axis(scene: Scene) -> tuple[int, float]:
    """The horizontal axis (0: x, 1: y) the coolant mostly flows along and the direction along it
    (+1 or -1), from the summed velocity components of the coolant cells; (0, +1) without a
    velocity field."""
    if not scene.has_velocity or not _coolant(scene).any():
        return 0, 1.0
    velocity = np.asarray(scene.mesh.cell_data["velocity"])[_coolant(scene)]
    axis = int(np.argmax(np.abs(velocity[:, :2]).sum(axis=0)))
    return axis, 1.0 if velocity[:, axis].sum() >= 0 else -1.0


def straightness(scene: Scene) -> float:
    """[-] How straight the coolant flows: the largest share, over the three axes, of the summed
    coolant speed carried by one velocity component (sum |u_axis| / sum |u|). Straight channels
    give about 1; a flow that turns or swirls around pins gives less. 1 without moving coolant."""
    if not scene.has_velocity:
        return 1.0
    velocity = np.asarray(scene.mesh.cell_data["velocity"])[_coolant(scene)]
    total = float(np.linalg.norm(velocity, axis=1).sum())
    return float(np.abs(velocity).sum(axis=0).max() / total) if total > 0 else 1.0


def heat_path_cut(scene: Scene, across: bool) -> tuple[int, float, int]:
    """Where the heat-path picture cuts: ``(normal axis, position [m], id of the hottest
    body)``. The cut is vertical through the centre of the hottest solid cell, normal to the main
    flow axis (``across``) or along it; along the flow it moves to the nearest layer of cells
    with coolant over the hottest cell (a channel beside a fin), so that the coolant is seen
    beside the solids."""
    shape, centres = _cell_grid(scene)
    temperature = np.where(scene.solid, np.asarray(scene.mesh.cell_data["temperature_C"]),
                           -np.inf)
    hottest = int(np.argmax(temperature))
    index = np.unravel_index(hottest, shape, order="F")
    flow_axis, _ = main_flow_axis(scene)
    normal = flow_axis if across else 1 - flow_axis
    position = float(centres[normal][index[normal]])
    # coolant on the vertical line across the flow through the hottest cell, by layer
    coolant = np.take(_coolant(scene).reshape(shape, order="F"), index[flow_axis], flow_axis)
    layers = np.flatnonzero(coolant.any(axis=1))
    if not across and layers.size:
        position = float(centres[normal][layers[np.argmin(np.abs(layers - index[normal]))]])
    return normal, position, int(scene.material[hottest])


def _add_outline(plotter, dataset, keep: np.ndarray, normal: int, colour: str,
                 width: float) -> None:
    """Draw the boundary edges of the cells ``keep`` of a planar ``dataset`` (normal to axis
    ``normal``), once a hair in front of the plane and once behind, so that the cut's own
    faces never hide them whichever side the camera is on."""
    if not keep.any():
        return
    part = dataset.extract_cells(np.flatnonzero(keep)).extract_surface(
        algorithm="dataset_surface")
    edges = part.extract_feature_edges(boundary_edges=True, feature_edges=False,
                                       manifold_edges=False, non_manifold_edges=False)
    if not edges.n_points:
        return
    shift = 1e-3 * float(np.ptp(np.asarray(dataset.bounds).reshape(3, 2)))
    for side in (-1.0, 1.0):
        copy = edges.copy()
        copy.points[:, normal] += side * shift
        plotter.add_mesh(copy, color=colour, line_width=width)


def _flow_arrows(scene: Scene, plotter, section, axis: int, sign: float, squash: float) -> None:
    """Black arrows at the inlet and outlet ends of the cut along the flow, at the mean height
    of its coolant, pointing the way the coolant flows; ``squash`` undoes the vertical stretch of
    the picture on the arrows' own height."""
    import pyvista as pv

    material = np.asarray(section.cell_data["body_id"])
    coolant = (material >= 0) & ~np.isin(material, scene.solid_ids)
    if not coolant.any():
        return
    centres = section.cell_centers().points[coolant]
    low, high = scene.bounds[axis]
    length = 0.07 * (high - low)
    start = centres.mean(axis=0)
    direction = np.zeros(3)
    direction[axis] = sign
    upstream, downstream = (low, high) if sign > 0 else (high, low)
    for end in (upstream - sign * 1.15 * length, downstream + sign * 0.15 * length):
        start[axis] = end
        arrow = pv.Arrow(start=start, direction=direction, scale=length, tip_length=0.35,
                         tip_radius=0.18, shaft_radius=0.06)
        arrow.points[:, 2] = start[2] + (arrow.points[:, 2] - start[2]) / squash
        plotter.add_mesh(arrow, color="black")


def _render_heat_path(scene: Scene, across: bool, path: Path, window_size) -> Path:
    plotter = scene.plotter(window_size)
    normal, position, body = heat_path_cut(scene, across)
    origin = scene.center.copy()
    origin[normal] = position
    section = scene.occupied_part(scene.mesh.slice(normal=AXIS_NAMES[normal], origin=origin))
    label = AXIS_NAMES[normal]
    view = _VIEWS[label]
    factor = vertical_exaggeration(scene.bounds, view)
    if section.n_cells:
        plotter.add_mesh(section, scalars="temperature_C", cmap=TEMPERATURE_COLORMAP,
                         clim=scene.clim, preference="cell",
                         scalar_bar_args=scene.scalar_bar("Temperature [C]"))
        material = np.asarray(section.cell_data["body_id"])
        _add_outline(plotter, section, (material >= 0) & ~np.isin(material, scene.solid_ids),
                     normal, "white", 1.5)
        _add_outline(plotter, section, material == body, normal, "black", 3.0)
    flow_axis, sign = main_flow_axis(scene)
    flow = f"{'+' if sign > 0 else '-'}{AXIS_NAMES[flow_axis]}"
    name = scene.material_names.get(body, f"material {body}")
    if not scene.has_velocity:
        title = (f"{scene.case_name}: heat path, vertical cut {label} = {position * 1e3:.2f} mm"
                 f" through the hottest point of '{name}' (black)")
        note = "conduction only: no coolant flow in this model"
    elif across:
        title = (f"{scene.case_name}: heat path across the flow, {label} = {position * 1e3:.2f}"
                 f" mm through the hottest point of '{name}' (black)")
        note = f"coolant (white outlines) flows into the picture ({flow})"
    else:
        title = (f"{scene.case_name}: heat path along the flow, {label} = {position * 1e3:.2f}"
                 f" mm beside the hottest point of '{name}' (black)")
        note = f"coolant (white outlines) flows {flow}: arrows at the inlet and outlet"
        if section.n_cells:
            _flow_arrows(scene, plotter, section, flow_axis, sign, factor)
    if factor > 1:
        vertical = AXIS_NAMES.index(view[1])
        plotter.set_scale(**{f"{AXIS_NAMES[vertical]}scale": factor}, reset_camera=False)
        note += f"; vertical scale x{factor:g}"
    plotter.add_text(title, position="upper_left", font_size=11, color="black")
    plotter.add_text(note, position=(10, window_size[1] - 55), font_size=8, color="black")
    plotter.add_axes(color="black")
    _fit_plane(plotter, view)
    return _save(plotter, path)


def _render_streamlines(scene: Scene, path: Path, window_size) -> Path | None:
    import pyvista as pv

    seeds = scene.inlet_seeds()
    direction, title = "forward", "streamlines from the inlet"
    if seeds is None:
        # No inflow through the domain sides (e.g. a port on a body face): seed in the coolant.
        speed = np.asarray(scene.mesh.cell_data["speed"])
        moving = np.flatnonzero(~scene.solid & scene.occupied & (speed > 0.05 * speed.max()))
        if moving.size == 0:
            return None
        pick = moving[np.linspace(0, moving.size - 1, min(moving.size, 200)).astype(int)]
        seeds = pv.PolyData(scene.mesh.cell_centers().points[pick])
        direction, title = "both", "streamlines through the coolant"
    flow = scene.mesh.cell_data_to_point_data(pass_cell_data=False)
    size = float(np.linalg.norm(scene.bounds[:, 1] - scene.bounds[:, 0]))
    lines = flow.streamlines_from_source(seeds, vectors="velocity",
                                         integration_direction=direction,
                                         max_length=4.0 * size, compute_vorticity=False)
    plotter = scene.plotter(window_size)
    if scene.solid.any():
        solids = scene.mesh.extract_cells(np.flatnonzero(scene.solid)).extract_surface(
            algorithm="dataset_surface")
        plotter.add_mesh(solids, color="lightgrey", opacity=0.2)
    if lines.n_points:
        lines.point_data["speed"] = np.linalg.norm(np.asarray(lines.point_data["velocity"]), axis=1)
        plotter.add_mesh(lines, scalars="speed", cmap=SPEED_COLORMAP, line_width=2,
                         scalar_bar_args=scene.scalar_bar("Speed [m/s]", "%.3g"))
    plotter.add_mesh(scene.mesh.outline(), color="grey")
    plotter.add_text(f"{scene.case_name}: {title}", position="upper_left", font_size=12,
                     color="black")
    _isometric(plotter)
    return _save(plotter, path)


# what a run without a 3D field writes that a person reads: its pictures, reports and network
NETWORK_FILES = ("network.vtp", "rack.vtm")
REPORTS = ("report.md", "report.html", "rack_report.md", "summary.txt")


def _show_pictures(result: ResultDirectory, interactive: bool, stream) -> list[Path]:
    """A result without ``fields.vtr`` (a network or rack run): its network in a window when a
    display exists, else the paths of the pictures and reports it wrote (nothing rendered)."""
    network = next((result.path / n for n in NETWORK_FILES if (result.path / n).exists()),
                   None)
    if interactive and network is not None:
        import pyvista as pv

        mesh = pv.read(network)
        mesh = mesh.combine() if isinstance(mesh, pv.MultiBlock) else mesh
        names = [n for n in mesh.array_names if n.lower().startswith("temperature")]
        mesh.plot(scalars=names[0] if names else None, cmap=TEMPERATURE_COLORMAP,
                  line_width=4, title=f"coolsim: {result.case_name}")
        return []
    files = sorted(result.images.glob("*.png")) if result.images.is_dir() else []
    files += [result.path / n for n in REPORTS if (result.path / n).exists()]
    if not files:
        raise FileNotFoundError(f"{result.path}: nothing to show (no fields.vtr, pictures or "
                                "reports: is this a coolsim results folder?)")
    out = sys.stdout if stream is None else stream
    for path in files:
        out.write(f"{path}\n")
    out.flush()
    return [f for f in files if f.suffix == ".png"]


def show(result_dir, interactive: bool | None = None, stream=None,
         window: bool = True) -> list[Path]:
    """Show a result: a PyVista window when a display exists, else PNGs and their paths.

    Parameters
    ----------
    result_dir : ResultDirectory or path-like
        Results folder of a case.
    interactive : bool, optional
        Force the window (``True``) or the PNGs (``False``); by default :func:`has_display`.
    stream : text stream, optional
        Where the PNG paths are printed (standard output by default).
    window : bool
        ``False`` never opens a window (``coolsim show --no-window``).

    Returns
    -------
    list of Path
        The PNGs written (empty when a window was shown).
    """
    result = _result_dir(result_dir)
    if not window:
        interactive = False
    elif interactive is None:
        interactive = has_display()
    if not result.fields.exists():
        return _show_pictures(result, interactive, stream)
    if not interactive:
        paths = render_result(result)
        out = sys.stdout if stream is None else stream
        for path in paths:
            out.write(f"{path}\n")
        out.flush()
        return paths

    import pyvista as pv

    scene = Scene(result)
    plotter = pv.Plotter(title=f"coolsim: {scene.case_name}")
    if scene.solid.any():
        solids = scene.mesh.extract_cells(np.flatnonzero(scene.solid)).extract_surface(
            algorithm="dataset_surface")
        plotter.add_mesh(solids, scalars="temperature_C", cmap=TEMPERATURE_COLORMAP,
                         clim=scene.clim, preference="cell", opacity=0.35,
                         scalar_bar_args={"title": "Temperature [C]"})
    for axis in range(3):
        section, _ = scene.mid_slice(axis)
        section = scene.occupied_part(section)
        if section.n_cells:
            plotter.add_mesh(section, scalars="temperature_C", cmap=TEMPERATURE_COLORMAP,
                             clim=scene.clim, preference="cell", show_scalar_bar=False)
    plotter.add_mesh(scene.mesh.outline(), color="grey")
    plotter.add_axes()
    plotter.view_isometric()
    plotter.show()
    return []
