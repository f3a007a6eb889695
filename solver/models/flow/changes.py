"""What changes in a :class:`~solver.models.flow.simplec.FlowSolver` between outer iterations:
the viscosity, the temperature (buoyancy), the unsteady terms of a time step, the sources of a
coarse multigrid level and the inflow. Each is written into the arrays already there, so the
iteration's captured CUDA graphs (:mod:`solver.numerics.graphs`) stay valid."""

from __future__ import annotations

from solver.models.flow.staggered import LOWER, UPPER, along_axis, pad_edge
from solver.numerics.graphs import keep_in_place


class FlowChanges:
    """The setters of :class:`~solver.models.flow.simplec.FlowSolver` (a base class of it)
    for what changes between outer iterations."""

    def set_viscosity(self, viscosity) -> None:
        """Set the dynamic viscosity [Pa s] (scalar or cell array) and rebuild the viscous terms."""
        xp = self.xp
        mu = self._crop(viscosity)
        fluid_mu = xp.where(self.fluid, mu, 0.0)
        # solid cells take the mean fluid viscosity (only wall-adjacent averages see them)
        mean_mu = xp.sum(fluid_mu) / xp.sum(self.fluid)
        mu = xp.where(self.fluid, mu, mean_mu)
        self.viscosity_cells = mu
        if self._fas is not None:
            self._fas.set_viscosity()
        for comp in self.components:
            a = comp.axis
            mu_nodes = _on_faces(xp, mu, a)
            for info in comp.directions:
                d = info["axis"]
                if d == a:
                    keep_in_place(info, "diffusion", mu * info["g"])
                    continue
                comp.set_cross_viscosity(info, mu_nodes)

    def set_unsteady_terms(self, terms) -> None:
        """Add the discrete time derivative to the momentum equations (None: steady).

        ``terms`` holds one ``(inertia, source)`` pair per component, face arrays in kg/s:
        ``inertia`` joins the diagonal and ``source`` [kg m/s^2] the right-hand side, so that
        each row reads ``(a_P + inertia) u - sum a_nb u_nb = b + source`` (see
        :mod:`solver.models.flow.time_stepping`).
        """
        terms = None if terms is None else list(terms)
        if terms is not None and self.unsteady is not None and any(
                new is not old for pair, kept in zip(terms, self.unsteady, strict=True)
                for new, old in zip(pair, kept, strict=True)):
            self._stages.invalidate()  # other arrays than the captured graphs read
        self.unsteady = terms

    def scale_inflow(self, factor: float) -> None:
        """Set every inlet's velocity to ``factor`` [-] times its boundary condition's (the
        inflow of a flow that changes in time); outlets, walls and the residual scales stay.

        Only inlet faces hold non-zero fixed velocities (walls fix the normal velocity at 0),
        so the fixed values, their couplings moved to the right-hand side and the inlet face
        velocities are scaled from the boundary conditions' values, kept at the first call.
        """
        xp = self.xp
        if self._design_inflow is None:
            self._design_inflow = [(comp.fixed.copy(), {name: value.copy() for name, value
                                                        in comp.neighbour_fixed.items()})
                                   for comp in self.components]
        for comp, u, (fixed, couplings) in zip(self.components, self.velocity,
                                               self._design_inflow, strict=True):
            xp.multiply(fixed, factor, out=comp.fixed)
            for name, value in couplings.items():
                xp.multiply(value, factor, out=comp.neighbour_fixed[name])
            xp.copyto(u, comp.fixed, where=~comp.active)
        self.update_mass_flux()

    def set_sources(self, momentum=None, mass=None) -> None:
        """Fixed sources of a coarse level in nonlinear multigrid (None: none).

        ``momentum`` holds one face array [N] per component, added to the right-hand side of
        the momentum rows; ``mass`` [kg/s] per cell is added to the net inflow, so continuity
        reads ``inflow - outflow + mass = 0``.
        """
        self.momentum_source = None if momentum is None else [
            self._kept_source(f"momentum{a}", value) for a, value in enumerate(momentum)]
        self.mass_source = None if mass is None else self._kept_source("mass", mass)

    def _kept_source(self, key: str, value):
        """``value`` copied into the array kept for source ``key`` (its first value)."""
        keep_in_place(self._sources, key, self.xp.array(value, dtype=self.dtype))
        return self._sources[key]

    def set_temperature(self, temperature, coolant=None) -> None:
        """Take a cell temperature field [K] for buoyancy and, with ``coolant``, viscosity(T)."""
        xp = self.xp
        self.temperature = self._crop(temperature)
        if coolant is not None:
            self.set_viscosity(coolant.viscosity(self.temperature))
        if self.gravity is None or not self.thermal_expansion:
            return
        for comp in self.components:
            a = comp.axis
            if self.gravity[a] != 0.0:
                # Boussinesq buoyancy -rho beta (T - T_ref) g on the face control volumes
                t_nodes = _on_faces(xp, self.temperature, a)
                keep_in_place(self._buoyancy, a, (
                    self.density * self.thermal_expansion * self.gravity[a]
                    * (t_nodes - self.reference_temperature) * comp.volume))


def _on_faces(xp, cells, axis: int):
    """Cell values on the faces normal to ``axis``: the mean of the two cells beside each face
    (the boundary faces take their cell's value)."""
    padded = pad_edge(xp, cells, axis)
    return 0.5 * (padded[along_axis(axis, LOWER)] + padded[along_axis(axis, UPPER)])
