"""Dependencies: the production image installs the runtime requirements only, every version is
pinned exactly, and the runtime file has everything backend/ imports."""

import ast
import importlib.metadata
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
RUNTIME = "requirements.txt"
DEV = "requirements-dev.txt"
# Test and development tools: none of them may reach the image, whichever file lists them.
TOOLS = {
    "pytest",
    "pytest-cov",
    "coverage",
    "hypothesis",
    "responses",
    "pyyaml",
    "ruff",
    "mypy",
    "schemathesis",
    "mongoeco",
}
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([0-9][A-Za-z0-9.+!-]*)$")


def canonical(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_lines(name):
    """The file's requirement lines without comments or blank lines, `-r` lines included."""
    lines = (line.split("#", 1)[0].strip() for line in (ROOT / name).read_text().splitlines())
    return [line for line in lines if line]


def installed_by(name):
    """{canonical name: line} of every package installing file `name` installs, `-r` followed."""
    packages = {}
    for line in requirement_lines(name):
        if line.startswith("-r"):
            packages.update(installed_by(line[2:].strip()))
        else:
            match = PIN.match(line)
            assert match, f"{name}: {line!r} is not pinned as name==version"
            packages[canonical(match.group(1))] = line
    return packages


def image_installs():
    """The Dockerfile's final stage (the service image) without comments, and the requirement files
    it `pip install -r`s."""
    instructions = re.sub(r"^\s*#.*\n", "", (ROOT / "Dockerfile").read_text(), flags=re.M)
    final_stage = re.split(r"^FROM ", instructions, flags=re.M)[-1]
    installs = re.findall(r"^RUN .*\bpip install\b(.*)$", final_stage, re.M)
    assert installs, "the Dockerfile's final stage installs no Python requirements"
    files = []
    for arguments in installs:
        named = re.findall(r"(?:-r|--requirement)[ =](\S+)", arguments)
        others = [word for word in arguments.split() if not word.startswith("-") and word not in named]
        assert not others, f"the image installs {others} outside a requirement file"
        files += named
    return final_stage, files


def test_every_requirement_is_pinned_exactly():
    for name in (RUNTIME, DEV):
        for line in requirement_lines(name):
            if line.startswith("-r"):
                assert (ROOT / line[2:].strip()).is_file(), f"{name}: {line!r} names no file"
            else:
                assert PIN.match(line), f"{name}: {line!r} is not pinned as name==version"


def test_the_image_installs_the_runtime_requirements_only():
    final_stage, files = image_installs()
    assert files == [RUNTIME]
    assert f"COPY {RUNTIME} ." in final_stage
    assert DEV not in final_stage
    assert not re.search(r"^COPY (\. |tests)", final_stage, re.M), "the image copies the tests"
    leaked = set(installed_by(RUNTIME)) & (TOOLS | {canonical(p) for p in _dev_only()})
    assert not leaked, f"the image would install test or development tools: {sorted(leaked)}"


def test_the_development_file_adds_the_tools_to_the_runtime_ones():
    assert "-r requirements.txt" in requirement_lines(DEV)
    runtime, dev = installed_by(RUNTIME), installed_by(DEV)
    assert all(dev[name] == line for name, line in runtime.items())
    assert TOOLS - {"schemathesis", "mongoeco"} <= set(dev)  # those two live in their scripts' venvs
    twice = set(runtime) & {canonical(p) for p in _dev_only()}
    assert not twice, f"pinned in both files: {sorted(twice)}"


def test_make_installs_the_development_file():
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^\t\$\(PY\) -m pip install .*-r requirements-dev\.txt$", makefile, re.M)
    assert re.search(r"^\$\(STAMP\): requirements\.txt requirements-dev\.txt$", makefile, re.M)


def test_the_runtime_file_has_every_package_backend_imports():
    """So an image with requirements.txt alone can run the service (and tests cannot hide a
    runtime import behind a development tool)."""
    distributions = importlib.metadata.packages_distributions()
    runtime = set(installed_by(RUNTIME))
    missing = {}
    for path in [*sorted((ROOT / "backend").rglob("*.py")), ROOT / "gunicorn.conf.py"]:
        for module in _imported_modules(path):
            if module in sys.stdlib_module_names or module == "backend":
                continue
            for dist in distributions.get(module, [module]):
                if canonical(dist) not in runtime:
                    missing.setdefault(canonical(dist), []).append(str(path.relative_to(ROOT)))
    assert not missing, f"imported by the service but not in {RUNTIME}: {missing}"


def _dev_only():
    return [PIN.match(line).group(1) for line in requirement_lines(DEV) if not line.startswith("-r")]


def _imported_modules(path):
    """Top-level names of the absolute imports in `path`."""
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module.split(".")[0]


def test_the_service_image_runs_as_a_user_other_than_root():
    final_stage, _files = image_installs()
    users = re.findall(r"^USER (\S+)$", final_stage, re.M)
    assert users and users[-1] not in ("root", "0"), users
