"""Nominal pipe sizes: the schedule-40 bores of ASME B36.10M, for methods defined on the NPS.

Darby's 3-K fitting method (Darby 2001) scales its diameter term with the *nominal* pipe size in
inches, not the bore. :func:`nominal_size` gives the NPS whose schedule-40 inner diameter is
nearest to a bore, for fittings given only by their bore.

Source: ASME B36.10M, Welded and Seamless Wrought Steel Pipe, schedule 40 outside diameters and
wall thicknesses (inner diameter = OD - 2 wall), NPS 1/8 to 12.
"""

from __future__ import annotations

import numpy as np

from solver.network.errors import NetworkError

# NPS [in], outside diameter [mm], schedule-40 wall [mm]
SCHEDULE_40 = (
    (0.125, 10.3, 1.73), (0.25, 13.7, 2.24), (0.375, 17.1, 2.31), (0.5, 21.3, 2.77),
    (0.75, 26.7, 2.87), (1.0, 33.4, 3.38), (1.25, 42.2, 3.56), (1.5, 48.3, 3.68),
    (2.0, 60.3, 3.91), (2.5, 73.0, 5.16), (3.0, 88.9, 5.49), (4.0, 114.3, 6.02),
    (5.0, 141.3, 6.55), (6.0, 168.3, 7.11), (8.0, 219.1, 8.18), (10.0, 273.1, 9.27),
    (12.0, 323.8, 10.31),
)
NPS = np.array([row[0] for row in SCHEDULE_40])
SCHEDULE_40_BORE = np.array([(od - 2.0 * wall) * 1e-3 for _, od, wall in SCHEDULE_40])  # [m]


def nominal_size(bore, where="fitting"):
    """Nominal pipe size [in] whose schedule-40 bore is nearest (in log) to ``bore`` [m].

    Raises :class:`NetworkError` for a bore more than 30 % outside the table (NPS 1/8 to 12).
    """
    if not (0.7 * SCHEDULE_40_BORE[0] <= bore <= 1.3 * SCHEDULE_40_BORE[-1]):
        raise NetworkError(f"{where}: bore {bore * 1e3:.3g} mm is outside the schedule-40 table "
                           "(NPS 1/8 to 12); give nominal_size")
    return float(NPS[np.argmin(np.abs(np.log(SCHEDULE_40_BORE / bore)))])
