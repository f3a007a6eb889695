"""Result files: atomic writes, JSON and CSV tables, VTK fields, checkpoints, the results folder.

Every writer here is atomic: data go to a temporary file in the destination folder, which is
flushed, ``fsync``-ed and then renamed over the destination with :func:`os.replace`. A reader
therefore sees either the previous complete file or the new complete file, never a partial one,
and a failure while writing (an exception during serialisation, a full disk) leaves the previous
file untouched and no temporary file behind.

Cell fields use the grid's index order ``[i, j, k] = [x, y, z]`` and shape ``(nx, ny, nz)``
(vectors ``(nx, ny, nz, 3)``). VTK stores cells with ``x`` varying fastest, which is NumPy's
Fortran order; the conversion happens only in this package (:func:`write_rectilinear`,
:func:`read_rectilinear`). Arrays that live on a GPU are copied to the host with the grid's
``backend.to_host``. Fields containing NaN or infinity are refused (:class:`NonFiniteFieldError`):
a diverged solve keeps its last good state instead of writing garbage as a result.

A run's files are one set too (:mod:`solver.output.result_set`): written into a staging folder
beside ``results/<case>/`` and switched into place at the end, with ``result_set.json`` listing
every file, so a kill leaves the previous complete set or the new one.

The layout of ``results/<case>/`` and the ``summary.json`` schema are documented in
``docs/results.md``.
"""

from solver.output.atomic import (
    atomic_open,
    atomic_path,
    atomic_write_bytes,
    atomic_write_text,
    fsync_directory,
    read_json,
    write_csv,
    write_json,
)
from solver.output.checkpoint import (
    CHECKPOINT_FORMAT,
    CHECKPOINT_VERSION,
    CheckpointError,
    load_checkpoint,
    save_checkpoint,
)
from solver.output.chip_pictures import plot_chip_temperatures
from solver.output.convergence import plot_convergence, plot_coupling_convergence
from solver.output.network import (
    CSV_UNITS,
    NETWORK_UNITS,
    PARALLEL_SPACING,
    branch_table,
    format_network_summary,
    layout_positions,
    network_polydata,
    parallel_offsets,
    plot_branch_flows,
    plot_pump_curve,
    summarize,
    system_curve,
    write_outputs,
)
from solver.output.rack_pictures import (
    plot_plate_temperature,
    plot_rack_network,
    write_rack_pictures,
)
from solver.output.rack_scene import plate_spacing, rack_scene
from solver.output.render import (
    AXIS_NAMES,
    FLUID_KINDS,
    SPEED_COLORMAP,
    TEMPERATURE_COLORMAP,
    WINDOW_SIZE,
    Scene,
    has_display,
    render_result,
    show,
    solid_ids,
    vertical_exaggeration,
)
from solver.output.report import (
    Check,
    DesignLimits,
    curves_for,
    design_checks,
    format_console,
    format_report,
    load_network_result,
    rack_report,
    read_network_csv,
    write_report,
)
from solver.output.results import ResultDirectory
from solver.output.summary import (
    SCHEMA,
    SCHEMA_VERSION,
    build_summary,
    energy_balance,
    energy_balance_from_solver,
    format_summary,
    read_summary,
    solver_entry,
    write_summary,
)
from solver.output.surfaces import (
    SURFACE_UNITS,
    interface_surface,
    local_bulk_temperature,
    main_flow_axis,
)
from solver.output.vtk import (
    FIELD_UNITS,
    HostFaces,
    NonFiniteFieldError,
    RectilinearFields,
    check_finite,
    decode_field_data,
    host_cell_arrays,
    read_rectilinear,
    read_units,
    set_name_table,
    set_units,
    write_multiblock,
    write_polydata,
    write_rectilinear,
)

__all__ = [
    "fsync_directory", "atomic_path", "atomic_open", "atomic_write_bytes", "atomic_write_text",
    "write_json", "read_json", "write_csv", "CHECKPOINT_FORMAT", "CHECKPOINT_VERSION",
    "CheckpointError", "save_checkpoint", "load_checkpoint", "plot_convergence",
    "plot_coupling_convergence", "write_rack_pictures", "branch_table",
    "CSV_UNITS", "system_curve", "layout_positions", "network_polydata", "summarize",
    "plot_branch_flows", "plot_pump_curve", "write_outputs", "format_network_summary",
    "rack_scene", "WINDOW_SIZE", "FLUID_KINDS", "AXIS_NAMES", "TEMPERATURE_COLORMAP",
    "SPEED_COLORMAP", "has_display", "solid_ids", "Scene", "vertical_exaggeration",
    "render_result", "show", "DesignLimits", "Check", "read_network_csv", "load_network_result",
    "curves_for", "design_checks", "rack_report", "format_report", "format_console",
    "plot_chip_temperatures", "plot_rack_network", "plot_plate_temperature", "write_report",
    "ResultDirectory", "SCHEMA", "SCHEMA_VERSION", "energy_balance",
    "energy_balance_from_solver", "solver_entry", "build_summary", "format_summary",
    "write_summary", "read_summary", "interface_surface", "FIELD_UNITS", "NonFiniteFieldError",
    "check_finite", "host_cell_arrays", "decode_field_data", "write_rectilinear",
    "RectilinearFields", "read_rectilinear", "write_polydata", "write_multiblock", "HostFaces",
    "NETWORK_UNITS", "PARALLEL_SPACING", "parallel_offsets", "plate_spacing", "SURFACE_UNITS",
    "local_bulk_temperature", "main_flow_axis", "read_units", "set_name_table", "set_units",
]
