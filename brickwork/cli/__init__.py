"""The ``brickwork`` command line."""

from brickwork.cli.main import main

__all__ = ["main"]
