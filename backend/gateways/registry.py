"""The gateways this service offers, by name: the one list everything gateway-specific comes from."""
from .builtin import GOOGLE_PAY, PAYPAL, RAZORPAY


class GatewayRegistry:
    """Gateway entries in registration order (the order of `payment_method` choices)."""

    def __init__(self, entries=()):
        self._entries = {}
        for entry in entries:
            self.register(entry)

    def register(self, entry):
        if entry.name in self._entries or self.by_slug(entry.webhook_slug) is not None:
            raise ValueError(f"gateway {entry.name!r} (or its webhook slug) is registered already")
        self._entries[entry.name] = entry
        return entry

    def unregister(self, name):
        self._entries.pop(name, None)

    def get(self, name):
        return self._entries.get(name)

    def by_slug(self, slug):
        return next((e for e in self._entries.values() if e.webhook_slug == slug), None)

    def names(self):
        return tuple(self._entries)

    def __iter__(self):
        return iter(tuple(self._entries.values()))


REGISTRY = GatewayRegistry([RAZORPAY, PAYPAL, GOOGLE_PAY])
