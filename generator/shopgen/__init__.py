"""shopgen: contract-first scaffold generator for e-commerce APIs."""

from __future__ import annotations

__version__ = "0.2.0"
__all__ = ["__version__"]
