"""docs/integration-guide.md: every `file:function` of its invariants table names code that exists."""

import importlib
import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def invariant_locations():
    with open(os.path.join(ROOT, "docs", "integration-guide.md"), encoding="utf-8") as handle:
        text = handle.read()
    section = text.split("## Invariants", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"`(backend/[\w/]+\.py):([\w.]+)`", section)


def test_the_table_lists_the_invariants():
    assert len(invariant_locations()) >= 8


def test_every_named_function_exists():
    missing = []
    for path, name in invariant_locations():
        module_name = path[:-3].replace("/", ".")
        try:
            target = importlib.import_module(module_name)
        except ImportError:
            missing.append(f"{path} (no such module)")
            continue
        for part in name.split("."):
            target = getattr(target, part, None)
            if target is None:
                missing.append(f"{path}:{name}")
                break
    assert not missing, f"docs/integration-guide.md names code that does not exist: {missing}"
