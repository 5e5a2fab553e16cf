"""A gateway is one folder: each built-in gateway's package holds its entry, no gateway's package
imports another's, and nothing else in backend/ imports a gateway's package (the registry loads
them by name, from GATEWAY_PACKAGES)."""

import ast
import importlib
import pathlib

import pytest

from backend.gateways.entry import GatewayEntry
from backend.gateways.registry import BUILT_IN_PACKAGES

ROOT = pathlib.Path(__file__).resolve().parents[3]
GATEWAYS = ROOT / "backend" / "gateways"
GATEWAY_FOLDERS = sorted(path.name for path in GATEWAYS.iterdir() if (path / "__init__.py").is_file())


def module_name(path):
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def imported_modules(path):
    """Every module `path` imports, relative imports resolved to absolute names."""
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    names = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parent + ([node.module] if node.module else []))
            names += [base] + [f"{base}.{alias.name}" for alias in node.names]
    return names


def gateway_of(module):
    """The gateway folder a module name belongs to, or None."""
    parts = module.split(".")
    if parts[:2] == ["backend", "gateways"] and len(parts) > 2 and parts[2] in GATEWAY_FOLDERS:
        return parts[2]
    return None


def test_the_built_in_gateways_are_the_folders_each_with_its_entry():
    assert sorted(package.rpartition(".")[2] for package in BUILT_IN_PACKAGES) == GATEWAY_FOLDERS
    for package in BUILT_IN_PACKAGES:
        entry = importlib.import_module(f"{package}.entry").GATEWAY
        assert isinstance(entry, GatewayEntry) and entry.name == package.rpartition(".")[2]


@pytest.mark.parametrize("folder", GATEWAY_FOLDERS)
def test_no_gateways_folder_imports_another_gateways(folder):
    foreign = {
        (str(path.relative_to(ROOT)), module)
        for path in (GATEWAYS / folder).rglob("*.py")
        for module in imported_modules(path)
        if gateway_of(module) not in (None, folder)
    }
    assert foreign == set()


def test_nothing_outside_the_gateways_folders_imports_one():
    """The shared gateway modules and the rest of the service know gateways only through the registry."""
    outside = [path for path in (ROOT / "backend").rglob("*.py") if gateway_of(module_name(path)) is None]
    assert len(outside) > 30
    named = {
        (str(path.relative_to(ROOT)), module)
        for path in outside
        for module in imported_modules(path)
        if gateway_of(module) is not None
    }
    assert named == set()
