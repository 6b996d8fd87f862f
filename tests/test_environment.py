"""requirements.txt, environment.yml and requirements.lock agree."""

import re

import yaml

PIN = re.compile(
    r"^([A-Za-z0-9_.\-]+)(?:\[[A-Za-z0-9_,\-]+\])?==([A-Za-z0-9_.\-]+)$")


def pins(lines):
    """{name: version} of `name==version` lines; fails on any other line."""
    found = {}
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("--editable"):
            continue
        match = PIN.match(line)
        assert match, f"not pinned with ==: {line!r}"
        found[canonical(match[1])] = match[2]
    return found


def canonical(name):
    """A package's name as PyPI compares them."""
    return re.sub(r"[-_.]+", "-", name).lower()


def test_every_requirement_is_pinned(root):
    lines = (root / "requirements.txt").read_text().splitlines()
    assert len(pins(lines)) >= 10


def test_environment_yml_has_the_same_pins(root):
    requirements = pins((root / "requirements.txt").read_text().splitlines())
    env = yaml.safe_load((root / "environment.yml").read_text())
    assert "python=3.11" in env["dependencies"]
    pip_part = next(d for d in env["dependencies"] if isinstance(d, dict))
    assert pins(pip_part["pip"]) == requirements
    assert "--editable ." in pip_part["pip"]


def test_sqlalchemy_below_2_1(root):
    requirements = pins((root / "requirements.txt").read_text().splitlines())
    major, minor = map(int, requirements["sqlalchemy"].split(".")[:2])
    assert (major, minor) < (2, 1)


def test_validate_button_is_enabled_for_students(root):
    # `make lab` relies on nbgrader's server extension behind "Validate".
    from conftest import run

    result = run([str(root / ".venv" / "bin" / "jupyter"), "server",
                  "extension", "list"], cwd=root)
    text = result.stdout + result.stderr
    assert re.search(r"validate_assignment\S*\s+\S*enabled", text), text


def locked(text):
    """{name: (version, number of hashes)} of a pip-compile lock file."""
    found, name = {}, None
    for line in text.splitlines():
        line = line.split("#", 1)[0].rstrip(" \\").strip()
        if not line:
            continue
        if line.startswith("--hash="):
            assert name, f"a hash before any package: {line}"
            version, count = found[name]
            found[name] = (version, count + 1)
            continue
        match = PIN.match(line)
        assert match, f"not pinned with ==: {line!r}"
        name = canonical(match[1])
        found[name] = (match[2], 0)
    return found


def test_lock_file_matches_the_pins(root):
    requirements = pins((root / "requirements.txt").read_text().splitlines())
    lock = locked((root / "requirements.lock").read_text())
    for name, version in requirements.items():
        assert name in lock, f"{name} is not in requirements.lock: make lock"
        assert lock[name][0] == version, f"{name}: make lock"
    # Every transitive dependency is there, each with its hashes.
    assert len(lock) > 3 * len(requirements)
    assert all(count > 0 for _, count in lock.values())
    for extra in ("psycopg-binary", "tornado", "cloudpickle", "setuptools"):
        assert extra in lock, extra


def test_lock_file_matches_the_installed_environment(root):
    """The venv (`make venv`) holds exactly the locked versions."""
    from importlib import metadata

    lock = locked((root / "requirements.lock").read_text())
    for name, (version, _) in lock.items():
        if name in ("pip",):
            continue
        assert metadata.version(name) == version, name
