"""coolsim: coupled 3D conjugate heat transfer and 1D network solver for liquid-cooled AI racks.

The import package is ``solver``; the command line is ``coolsim`` (see :mod:`solver.cli`).
"""

__version__ = "0.1.0"
