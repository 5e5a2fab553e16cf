"""docs/deployment.md's environment variable table lists exactly what backend/config.py reads."""
import os
import re

from backend.config import setting_defaults

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def documented_variables():
    with open(os.path.join(ROOT, "docs", "deployment.md"), encoding="utf-8") as handle:
        text = handle.read()
    section = text.split("## Environment variables", 1)[1].split("\n## ", 1)[0]
    return {match.group(1): match.group(2) for match in re.finditer(r"^\| `([A-Z_]+)` \| ([^|]*) \|", section, re.M)}


def test_every_variable_the_config_reads_is_documented_and_nothing_else():
    documented, read = documented_variables(), setting_defaults()
    assert set(read) - set(documented) == set(), "read by config.py but not in docs/deployment.md"
    assert set(documented) - set(read) == set(), "in docs/deployment.md but not read by config.py"


def test_documented_defaults_are_the_configs():
    for name, default in setting_defaults().items():
        cell = documented_variables()[name].strip()
        assert cell == (f"`{default}`" if default else "*(empty)*"), (name, cell, default)
