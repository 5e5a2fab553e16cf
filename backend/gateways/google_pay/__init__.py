"""Google Pay (DIRECT ECv2 tokens): the adapter (`adapter.py`), token cryptography (`token.py`), the
simulated sheet and processor (`simulator.py`), its pages (`pages.py`) and entry (`entry.py`)."""
