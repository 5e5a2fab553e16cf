"""PayPal Orders v2: the adapter (`adapter.py`) over the REST API (`api.py`) or the simulator's
(`simulator.py`), webhook signatures (`webhook.py`), its pages (`pages.py`) and entry (`entry.py`)."""
