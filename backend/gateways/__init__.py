"""Payment gateways: one adapter module per gateway behind the interface in `base.py` (protocol
code only), its simulator's stand-in API, and its entry in `registry.REGISTRY` (`entry.py`)."""
