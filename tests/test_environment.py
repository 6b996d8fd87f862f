"""requirements.txt and environment.yml name the same pinned packages."""

import re

import yaml

PIN = re.compile(r"^([A-Za-z0-9_.\-]+)==([A-Za-z0-9_.\-]+)$")


def pins(lines):
    """{name: version} of `name==version` lines; fails on any other line."""
    found = {}
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("--editable"):
            continue
        match = PIN.match(line)
        assert match, f"not pinned with ==: {line!r}"
        found[match[1].lower()] = match[2]
    return found


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
