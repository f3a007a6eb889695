"""Matplotlib for the result pictures: pyplot on the off-screen backend, and the atomic PNG save.

Matplotlib is imported only when a picture is drawn, so runs without images never load it.
"""

from __future__ import annotations

from pathlib import Path

from solver.output.atomic import atomic_path


def pyplot():
    """``matplotlib.pyplot`` on the off-screen Agg backend."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig, path, dpi: int = 110) -> Path:
    """Lay out ``fig``, write it to ``path`` as PNG atomically (a crash leaves no half file)
    and close it; returns the path."""
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=dpi, format="png")
    pyplot().close(fig)
    return Path(path)
