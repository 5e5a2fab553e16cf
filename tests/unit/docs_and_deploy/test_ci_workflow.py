"""The forge's CI workflow (.github/workflows/ci.yml): one job runs `make test`, the other runs the
integration suites against a MongoDB replica set with `make test-mongodb`, the same command
`make test-real-driver` runs here against the wire-protocol store; README names it."""

import os

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def read(*parts):
    with open(os.path.join(ROOT, *parts), encoding="utf-8") as handle:
        return handle.read()


def workflow():
    return yaml.safe_load(read(".github", "workflows", "ci.yml"))


def commands(job):
    return [step["run"] for step in job["steps"] if "run" in step]


def test_one_job_runs_make_test():
    assert commands(workflow()["jobs"]["test"]) == ["make test"]


def test_the_mongodb_job_runs_make_test_mongodb_against_a_replica_set():
    job = workflow()["jobs"]["mongodb"]
    steps = [step for step in job["steps"] if "run" in step]
    assert "--replSet rs0" in steps[0]["run"] and "rs.initiate" in steps[0]["run"]
    assert steps[-1]["run"] == "make test-mongodb"
    assert "replicaSet=rs0" in steps[-1]["env"]["MONGODB_URI"]


def test_the_real_driver_pass_here_runs_the_same_command():
    assert "make --no-print-directory test-mongodb" in read("scripts", "test_real_driver.sh")


def test_make_test_lints_the_workflow_and_the_readme_says_what_it_proves():
    makefile = read("Makefile")
    test_line = next(line for line in makefile.splitlines() if line.startswith("test: "))
    assert "lint-workflows" in test_line
    readme = read("README.md")
    assert ".github/workflows/ci.yml" in readme and "make test-mongodb" in readme
