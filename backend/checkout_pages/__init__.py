"""The gateways' browser pages (live checkout pages and simulators), kept apart from the adapters,
which are protocol code only. Each gateway's registry entry names its page factories; each factory
takes a `PageContext` and returns a blueprint."""
