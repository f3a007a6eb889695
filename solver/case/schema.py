"""The typed case: :class:`Case`, the root of the TOML schema (sections, bodies, chips,
boundaries, network, coupling, report, scenarios)."""

from __future__ import annotations

from pathlib import Path

from pydantic import (
    Field,
    PrivateAttr,
)

from solver.case.bodies import Body, Boundary, Chip
from solver.case.network import NetworkSection
from solver.case.plate_transient import PlateTransientSection
from solver.case.sections import (
    CaseInfo,
    ConductivityTable,
    CoolantChoice,
    CouplingSection,
    GridSection,
    Material,
    Name,
    OutputSection,
    ReportSection,
    SolverSection,
)
from solver.case.transient_scenarios import AnyScenario
from solver.materials.coolants import Coolant
from solver.materials.registry import get_coolant, get_solid, is_builtin_coolant
from solver.materials.solids import Solid
from solver.units import (
    Section,
)


class Case(Section):
    """A validated case: every quantity SI, temperatures in kelvin.

    Build one with :func:`load_case`, which also runs the semantic checks of
    :func:`validate_case` and records :attr:`source_path`.
    """

    case: CaseInfo = Field(description="[-] name and description")
    solver: SolverSection = Field(default_factory=SolverSection, description="[-] solver "
                                                                               "settings")
    grid: GridSection = Field(default_factory=GridSection, description="[-] grid settings")
    materials: dict[Name, Material] = Field(default_factory=dict,
                                            description="[-] user-defined materials by name")
    coolant: CoolantChoice = Field(default_factory=CoolantChoice, description="[-] the coolant")
    bodies: list[Body] = Field(default_factory=list,
                               description="[-] geometry, painted in order (later bodies "
                                           "overwrite earlier ones); a case needs bodies, a "
                                           "[network], or both")
    chips: list[Chip] = Field(default_factory=list, description="[-] heat sources")
    boundaries: list[Boundary] = Field(default_factory=list,
                                       description="[-] boundary patches (sides without one are "
                                                   "adiabatic)")
    output: OutputSection = Field(default_factory=OutputSection, description="[-] output")
    network: NetworkSection | None = Field(
        None, description="[-] rack network: manifolds, CDU, facility water (docs/network.md)")
    coupling: CouplingSection = Field(default_factory=CouplingSection,
                                       description="[-] 3D cold plates inside the rack network "
                                                   "(plate groups with case = ...)")
    report: ReportSection = Field(default_factory=ReportSection,
                                   description="[-] design-check thresholds of the rack report")
    scenarios: list[AnyScenario] = Field(default_factory=list,
                                         description="[-] what-if variations of a rack, solved "
                                                     "and reported beside the design point "
                                                     "(steady, or in time: docs/network.md)")
    transient: PlateTransientSection | None = Field(
        None, description="[-] the cold plate in time after its steady solve "
                          "(docs/transient.md)")

    _source_path: Path | None = PrivateAttr(None)
    _display_path: str | None = PrivateAttr(None)
    _raw: dict | None = PrivateAttr(None)
    _allow_outside: bool = PrivateAttr(False)

    def attach_source(self, path: str | Path | None, raw: dict,
                      allow_outside: bool = False, display: str | None = None) -> None:
        """Record the file this case was read from (``path``, None for a mapping), its parsed
        TOML mapping ``raw`` (error messages quote the values as written), whether the files
        it names may lie outside its folder tree (:mod:`solver.case.locations`) and
        ``display``, the path as messages show it (default ``path`` as given)."""
        if path is not None:
            self._source_path = Path(path).resolve()
            self._display_path = display or str(path)
        self._raw = raw
        self._allow_outside = bool(allow_outside)

    @property
    def allow_outside(self) -> bool:
        """Whether the files the case names may lie outside its folder tree (the user said so:
        ``--allow-outside``); plate cases it names are loaded the same way."""
        return self._allow_outside

    @property
    def display_path(self) -> str | None:
        """The case file path as the user wrote it (for messages), or None."""
        return self._display_path

    @property
    def raw(self) -> dict | None:
        """The parsed TOML mapping as written (before unit conversion), or None."""
        return self._raw

    @property
    def source_path(self) -> Path | None:
        """The case file this case was read from (None when built in memory)."""
        return self._source_path

    @property
    def case_dir(self) -> Path:
        """Directory against which relative paths (meshes, power maps) are resolved."""
        return self._source_path.parent if self._source_path else Path.cwd()

    @property
    def output_root(self) -> Path:
        """Results root: ``[output] directory`` as written in the case file, relative to the
        case file; without that key, ``results`` in the working directory."""
        written = (self._raw or {}).get("output", {})
        if isinstance(written, dict) and "directory" in written:
            return self.resolve(self.output.directory)
        return Path(self.output.directory)

    @property
    def name(self) -> str:
        """The case name: ``[case] name`` or the case file's stem."""
        if self.case.name:
            return self.case.name
        return self._source_path.stem if self._source_path else "case"

    def resolve(self, relative: str) -> Path:
        """Resolve a path written in the case file against :attr:`case_dir`."""
        path = Path(relative)
        return path if path.is_absolute() else self.case_dir / path

    def body(self, name: str):
        """The body called ``name`` (KeyError when absent)."""
        for body in self.bodies:
            if body.name == name:
                return body
        raise KeyError(name)

    @property
    def total_power(self) -> float:
        """Sum of chip powers [W]."""
        return float(sum(chip.power for chip in self.chips))

    @property
    def fluid_bodies(self) -> list:
        """Bodies filled with coolant."""
        return [b for b in self.bodies if b.is_fluid]

    def material(self, name: str):
        """The material object for ``name`` (a :class:`solver.materials.Solid` or ``Coolant``).

        User-defined ``[materials.<name>]`` come first, then the built-ins of
        :mod:`solver.materials`; ``"coolant"`` is the case's coolant.
        """
        if name == "coolant":
            name = self.coolant.name
            if self.coolant.basis is not None and name not in self.materials:
                return get_coolant(name, basis=self.coolant.basis)
        spec = self.materials.get(name)
        if spec is None:
            if is_builtin_coolant(name):
                return get_coolant(name)
            return get_solid(name)
        if spec.kind == "coolant":
            return Coolant.constant(name, spec.density, spec.specific_heat, spec.viscosity,
                                    spec.conductivity, expansion=spec.thermal_expansion)
        if isinstance(spec.conductivity, ConductivityTable):
            return Solid.from_table(name, list(spec.conductivity.temperatures),
                                    list(spec.conductivity.values), spec.density,
                                    spec.specific_heat)
        return Solid.constant(name, spec.conductivity, spec.density, spec.specific_heat)

    def coolant_material(self):
        """The :class:`solver.materials.Coolant` filling the fluid bodies."""
        return self.material("coolant")
