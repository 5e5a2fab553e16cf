"""Razorpay: the adapter (`adapter.py`) over the SDK's API (`api.py`) or the simulator's
(`simulator.py`), its checkout pages (`pages.py`) and its registry entry (`entry.py`)."""
