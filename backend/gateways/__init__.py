"""Payment gateway adapters: one module per gateway behind the small interface in `base.py`."""
