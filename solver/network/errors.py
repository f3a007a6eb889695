"""Errors raised by the network package."""

from __future__ import annotations


class NetworkError(ValueError):
    """A malformed or unsolvable network; the message names the component(s) at fault.

    The command line turns it into a one-line message and exit code 2.
    """


class NetworkConvergenceError(RuntimeError):
    """The Newton or the hydraulic-thermal iteration did not converge."""
