"""The gateways a deployment offers: the `GATEWAY` entries of the packages GATEWAY_PACKAGES names.

Each package holds one gateway (adapter, API client, simulator, pages) and an `entry` module whose
`GATEWAY` is its `GatewayEntry`; the built-in ones are `backend.gateways.razorpay`, `.paypal` and
`.google_pay`. Adding a gateway is adding its package to the setting: no shared file changes.
"""

import functools
import importlib

from ..errors import ConfigError
from .entry import GatewayEntry

BUILT_IN_PACKAGES = ("backend.gateways.razorpay", "backend.gateways.paypal", "backend.gateways.google_pay")
ENTRY_MODULE = "entry"


class GatewayRegistry:
    """Gateway entries in registration order (the order of `payment_method` choices)."""

    def __init__(self, entries=()):
        self._entries: dict[str, GatewayEntry] = {}
        for entry in entries:
            if entry.name in self._entries or self.by_slug(entry.webhook_slug) is not None:
                raise ValueError(f"gateway {entry.name!r} (or its webhook slug) is registered already")
            self._entries[entry.name] = entry

    def get(self, name):
        return self._entries.get(name)

    def by_slug(self, slug):
        return next((e for e in self._entries.values() if e.webhook_slug == slug), None)

    def names(self):
        return tuple(self._entries)

    def __iter__(self):
        return iter(tuple(self._entries.values()))

    def processors_of(self, name):
        """The gateways that process payments for gateway `name` (their entries' `processes`)."""
        return tuple(entry.name for entry in self if name in entry.processes)

    def processor(self, name, by, env):
        """Gateway `by`'s processor for gateway `name`, built with `env`; None when `by` is not
        configured in `env`'s mode. How one gateway's package uses another's without importing it."""
        return self._entries[by].processes[name](env)

    def simulator_indexes(self):
        """{collection: [(keys, options)]} of every entry's simulator collections."""
        return {
            collection: list(indexes) for entry in self for collection, indexes in entry.simulator_collections.items()
        }


def package_names(setting):
    """GATEWAY_PACKAGES (comma-separated text, or a sequence) as a tuple of package names."""
    names = setting.split(",") if isinstance(setting, str) else setting
    return tuple(name.strip() for name in names if name.strip())


@functools.lru_cache(maxsize=16)
def load_registry(packages):
    """The registry of `packages` (a tuple of importable package names), each package's
    `entry.GATEWAY` in order; loaded once per tuple."""
    entries = []
    for package in packages:
        try:
            module = importlib.import_module(f"{package}.{ENTRY_MODULE}")
        except ImportError as error:
            raise ConfigError(
                f"GATEWAY_PACKAGES names {package!r}, which has no importable `{ENTRY_MODULE}` module ({error})."
            ) from None
        entry = getattr(module, "GATEWAY", None)
        if not isinstance(entry, GatewayEntry):
            raise ConfigError(
                f"GATEWAY_PACKAGES names {package!r}, whose `{ENTRY_MODULE}.GATEWAY` is not a GatewayEntry."
            )
        entries.append(entry)
    try:
        return GatewayRegistry(entries)
    except ValueError as error:
        raise ConfigError(f"GATEWAY_PACKAGES: {error}.") from None


def gateway_registry(config):
    """The registry of `config`'s GATEWAY_PACKAGES (the built-in gateways when it has none)."""
    return load_registry(package_names(config.get("GATEWAY_PACKAGES") or BUILT_IN_PACKAGES))
