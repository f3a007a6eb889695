"""The case file: TOML schema, loading, validation with one-line errors, and the key reference.

A case is a TOML file read with :mod:`tomllib` (data only: nothing in it is executed) and validated
into a frozen, typed :class:`Case`. Quantities are SI floats inside the solver; the file may write a
plain number (taken as SI) or a string with an explicit unit (``"25 C"``, ``"1.5 L/min"``,
``"28 mm"``, ``"1 kW"``, see :mod:`solver.units`). Temperatures are kelvin inside the solver.

Validation has two passes, both before any solving:

1. the schema (pydantic models built on :class:`solver.units.Section`: unknown keys are errors,
   types, units, ranges and per-shape / per-boundary-type keys via discriminated unions);
2. a semantic pass (:func:`validate_case`): duplicate names, unknown materials, power on a fluid,
   geometry outside the domain, missing mesh or power-map files, non-watertight meshes, flow
   boundaries in a conduction case, coolant temperatures outside the coolant's valid range.

Every problem is raised as a :class:`CaseError` whose ``str()`` is one line::

    <file>: <key.path>: <message> (got <value>; allowed: <...>)

``case.with_changes({"chips[0].power": "1.2 kW"})`` returns a new case validated the same way
(:mod:`solver.case.changes`).

``python -m solver.case reference`` prints the Markdown key reference generated from the models
(committed as ``docs/case_reference.md``).

Conventions: the stack axis of a cold plate is z (chip footprints are x-y rectangles); a boundary
``region`` gives ``min``/``max`` in the two tangential axes of its side in x, y, z order (side
``x_min``: (y, z); ``y_min``: (x, z); ``z_min``: (x, y)).
"""

from solver.case.bodies import (
    DEFAULT_CHIP_LIMIT,
    EQUATIONS,
    FLOW_SPECS,
    FLOW_TYPES,
    PORT_PLANE,
    SHAPES,
    AdiabaticBoundary,
    BaseBody,
    Body,
    Boundary,
    BoxBody,
    BoxLike,
    ChannelArrayBody,
    Chip,
    ConvectionBoundary,
    CylinderBody,
    FinArrayBody,
    Footprint,
    HeatFluxBoundary,
    InletBoundary,
    MeshBody,
    OutletBoundary,
    PinFinArrayBody,
    Region,
    SymmetryBoundary,
    TemperatureBoundary,
    WallBoundary,
)
from solver.case.changes import parse_key_path, value_at, with_changes
from solver.case.errors import (
    NOTHING,
    CaseError,
    case_error,
    close_match,
    error_factory,
    fail,
    format_path,
    lookup,
    name_list,
    show,
)
from solver.case.hashing import case_hash, hash_case
from solver.case.introspection import (
    UNIT_TABLES,
    child_annotation,
    default_text,
    describe,
    is_union,
    models_in,
    range_text,
    type_text,
    union_member,
    unit_of,
    unwrap,
)
from solver.case.loading import case_from_dict, check_whole_case, load_case
from solver.case.messages import case_error_from_validation
from solver.case.network import (
    WATER_CLASSES,
    CduSpec,
    CheckValveSection,
    ColdPlateSection,
    ComponentSection,
    ControlSection,
    ExchangerSpec,
    ExpansionTankSection,
    FacilitySpec,
    FittingSection,
    FlowBoundarySection,
    HeatExchangerSection,
    HeatLoadSection,
    NetworkSection,
    NodeSection,
    NonNegative,
    PipeSection,
    PlateGroupSection,
    Positive,
    PressureBoundarySection,
    PumpSection,
    PumpSpec,
    QuickDisconnectSection,
    QuickDisconnectSpec,
    RackControlSpec,
    RackSection,
    TeeSection,
    ValveSection,
)
from solver.case.power_map import load_power_map
from solver.case.reference import main, reference_markdown
from solver.case.schema import Case
from solver.case.sections import (
    AXES,
    Axis,
    CaseInfo,
    Conductivity,
    ConductivityTable,
    CoolantChoice,
    CoolantMaterial,
    CouplingSection,
    DomainBox,
    FacilityOffsetScenario,
    FlowMonitors,
    FlowRelaxation,
    FlowSection,
    FlowTolerances,
    GridSection,
    LinearSection,
    Material,
    Name,
    NonlinearSection,
    OutputSection,
    PlateBlockedScenario,
    Point2,
    Point3,
    PowerScaleScenario,
    PumpFailedScenario,
    QdMissingScenario,
    RefineRegion,
    ReportSection,
    ScenarioSpec,
    Side,
    SolidMaterial,
    SolverSection,
    Spacing,
    check_min_max,
    spacing_per_axis,
)
from solver.case.validate import body_bounds, plate_case_files, validate_case

# bound here, not in schema.py: changing a case re-runs the validation, which imports the schema
Case.with_changes = with_changes

__all__ = [
    "BaseBody", "BoxLike", "BoxBody", "CylinderBody", "FinArrayBody", "PinFinArrayBody",
    "ChannelArrayBody", "MeshBody", "Body", "SHAPES", "Footprint", "DEFAULT_CHIP_LIMIT", "Chip",
    "Region", "TemperatureBoundary", "HeatFluxBoundary", "ConvectionBoundary",
    "AdiabaticBoundary", "PORT_PLANE", "InletBoundary", "FLOW_SPECS", "OutletBoundary",
    "WallBoundary", "SymmetryBoundary", "Boundary", "FLOW_TYPES", "EQUATIONS", "NOTHING",
    "CaseError", "show", "fail", "format_path", "close_match", "case_error", "error_factory",
    "name_list", "lookup", "case_hash", "hash_case", "child_annotation", "unwrap", "is_union",
    "union_member", "UNIT_TABLES", "unit_of", "describe", "type_text", "range_text",
    "default_text", "models_in", "load_case", "case_from_dict", "case_error_from_validation",
    "Positive", "NonNegative", "NodeSection", "PipeSection", "FittingSection", "TeeSection",
    "QuickDisconnectSection", "ValveSection", "CheckValveSection", "PumpSection",
    "ColdPlateSection", "HeatLoadSection", "HeatExchangerSection", "ExpansionTankSection",
    "PressureBoundarySection", "FlowBoundarySection", "ComponentSection", "ControlSection",
    "PlateGroupSection", "QuickDisconnectSpec", "PumpSpec", "ExchangerSpec", "CduSpec",
    "WATER_CLASSES", "FacilitySpec", "RackControlSpec", "RackSection", "NetworkSection",
    "load_power_map", "reference_markdown", "main", "Case", "Name", "Point3", "Point2",
    "Spacing", "Axis", "Side", "AXES", "spacing_per_axis", "check_min_max", "CaseInfo",
    "LinearSection", "FlowRelaxation", "FlowTolerances", "FlowMonitors", "FlowSection",
    "NonlinearSection", "SolverSection", "RefineRegion", "DomainBox", "GridSection",
    "OutputSection", "CoolantChoice", "ConductivityTable", "Conductivity", "SolidMaterial",
    "CoolantMaterial", "Material", "CouplingSection", "ReportSection", "PumpFailedScenario",
    "PlateBlockedScenario", "FacilityOffsetScenario", "PowerScaleScenario", "QdMissingScenario",
    "ScenarioSpec", "validate_case", "plate_case_files", "body_bounds", "check_whole_case",
    "with_changes", "parse_key_path", "value_at"
]
