"""docs/deployment.md's environment variable table lists exactly what backend/config.py reads;
README.md's configuration table names every one of them; both say the Node version
frontend/package.json requires."""

import json
import os
import re

from backend.config import setting_defaults

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


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


def readme_configuration_variables():
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as handle:
        section = handle.read().split("\n## Configuration", 1)[1].split("\n## ", 1)[0]
    names = set()
    for row in re.findall(r"^\| (.*?) \|", section, re.M):  # a row's first cell may name several
        names |= set(re.findall(r"`([A-Z][A-Z0-9_]+)`", row))
    return names


def test_every_variable_the_config_reads_is_in_the_readmes_configuration_table():
    assert set(setting_defaults()) - readme_configuration_variables() == set()


def test_readme_and_deployment_doc_ask_for_the_node_version_package_json_requires():
    with open(os.path.join(ROOT, "frontend", "package.json"), encoding="utf-8") as handle:
        required = json.load(handle)["engines"]["node"]
    version = re.fullmatch(r">=\s*(\d+(?:\.\d+)*)", required).group(1)
    for doc in ("README.md", os.path.join("docs", "deployment.md")):
        with open(os.path.join(ROOT, doc), encoding="utf-8") as handle:
            said = re.findall(r"\bNode(?:\.js)? (\d+(?:\.\d+)*)", handle.read())
        assert said and set(said) == {version}, (doc, said, required)
