"""The coolsim version (one place; ``solver.__version__`` re-exports it)."""

__version__ = "0.1.0"
