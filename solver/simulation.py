"""Former home of :func:`run`: kept as an alias of :func:`solver.pipeline.run` for scripts that
call ``solver.pipeline.run``."""

from solver.pipeline import run

__all__ = ["run"]
