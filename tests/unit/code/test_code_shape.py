"""The code's shape, checked: the façade stays thin, no module or class grows past its bound, no module
reaches into another's private names, and routes talk to the integration only through its methods."""

import ast
import pathlib

import pytest

from backend.wallet_accounts import WalletAccounts
from backend.wallet_payment_integration import WalletPaymentIntegration

BACKEND = pathlib.Path(__file__).resolve().parents[3] / "backend"
MODULE_LINES_MAX = 300
FACADE_LINES_MAX = 120
PUBLIC_METHODS_MAX = 12
# A named tuple's own API is spelled with a leading underscore (so as not to clash with its fields).
NAMEDTUPLE_API = {"_replace", "_asdict", "_fields", "_make"}


def modules():
    return sorted(BACKEND.rglob("*.py"))


def parsed(path):
    return ast.parse(path.read_text(), filename=str(path))


def test_the_facade_is_thin():
    lines = len((BACKEND / "wallet_payment_integration.py").read_text().splitlines())
    assert lines <= FACADE_LINES_MAX, lines


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(BACKEND)))
def test_no_module_is_over_its_bound(path):
    assert len(path.read_text().splitlines()) <= MODULE_LINES_MAX


def test_no_class_has_more_public_methods_than_its_bound():
    crowded = {}
    for path in modules():
        for node in ast.walk(parsed(path)):
            if isinstance(node, ast.ClassDef):
                public = [
                    n.name
                    for n in node.body
                    if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and not n.name.startswith("_")
                ]
                if len(public) > PUBLIC_METHODS_MAX:
                    crowded[f"{path.relative_to(BACKEND)}:{node.name}"] = len(public)
    assert crowded == {}


def private_uses(tree):
    """`x._name` where x is not `self` or `cls`, and `from m import _name`."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
            owner = node.value
            if not (isinstance(owner, ast.Name) and owner.id in ("self", "cls")) and node.attr not in NAMEDTUPLE_API:
                found.append(f"{node.lineno}: {ast.unparse(node)}")
        if isinstance(node, ast.ImportFrom):
            found += [
                f"{node.lineno}: from {node.module} import {alias.name}"
                for alias in node.names
                if alias.name.startswith("_") and not alias.name.startswith("__")
            ]
    return found


def test_no_module_uses_another_modules_or_objects_private_names():
    uses = {str(path.relative_to(BACKEND)): private_uses(parsed(path)) for path in modules()}
    assert {path: found for path, found in uses.items() if found} == {}


def test_the_private_name_check_finds_what_it_looks_for():
    tree = ast.parse("from m import _hidden\nother._state = 1\nself._mine = 2\nparts._replace(a=1)\n")
    assert private_uses(tree) == ["1: from m import _hidden", "2: other._state"]


def public_methods(cls):
    return {name for name in dir(cls) if not name.startswith("_") and callable(getattr(cls, name))}


# What a route may call each service by: the integration (`service = integration_service()`,
# `_get_integration_service()`) and the wallet accounts (`accounts_service()`).
SERVICES = {
    "integration_service": WalletPaymentIntegration,
    "_get_integration_service": WalletPaymentIntegration,
    "accounts_service": WalletAccounts,
}
ROUTES = ("routes_integration.py", "routes_history.py", "routes_wallet.py", "routes_settlements.py")


def service_reads(tree):
    """Each attribute read of a service (called directly, or through a name assigned from the call)
    that is not one of its class's public methods."""
    named = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            service = SERVICES.get(getattr(node.value.func, "id", ""))
            named.update({target.id: service for target in node.targets if isinstance(target, ast.Name) and service})
    reads = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            owner = node.value
            service = named.get(owner.id) if isinstance(owner, ast.Name) else None
            if isinstance(owner, ast.Call):
                service = SERVICES.get(getattr(owner.func, "id", ""))
            if service and node.attr not in public_methods(service):
                reads.append(f"{node.lineno}: {ast.unparse(node)}")
    return reads


def test_routes_use_the_integration_and_the_accounts_only_through_their_methods():
    """Every attribute a route reads of the integration or the accounts is one of its methods: no route
    reaches into their collaborators (`service.wallet`, `service.orders.…`)."""
    reads = {name: service_reads(parsed(BACKEND / name)) for name in ROUTES}
    assert {name: found for name, found in reads.items() if found} == {}


def test_the_route_check_finds_what_it_looks_for():
    tree = ast.parse(
        "service = integration_service()\nservice.wallet.balance('c')\nservice.reconcile()\n"
        "accounts_service().withdrawals.view('w')\naccounts_service().withdraw('c', 1)\n"
    )
    assert service_reads(tree) == ["2: service.wallet", "4: accounts_service().withdrawals"]
