"""`python -m shopgen` runs the command line."""

from __future__ import annotations

from shopgen.cli import main

main()
