"""How fast is it? `python -m bench` measures this service on this machine (see `run.py`)."""
