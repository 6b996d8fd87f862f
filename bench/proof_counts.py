"""Count what each hidden check is proven against, for bench/RESULTS.md.

The test modules ``tests/test_hidden_checks_chNN.py`` hold, per graded
function, the mutants (plausible wrong implementations: the check must
fail them) and the accepted variants (correct code written differently
from the solution: the check must give them full marks). This script
counts them from those modules and prints the section of
``bench/RESULTS.md`` that lists the counts; with ``--write`` it replaces
that section in place.

Run from the repository root::

    .venv/bin/python bench/proof_counts.py --write
"""

import argparse
import importlib
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "RESULTS.md"
COMMAND = ".venv/bin/python bench/proof_counts.py --write"
#: The heading of the section this script owns in RESULTS.md.
HEADING = "## Hidden checks: mutants and accepted variants"
sys.path.insert(0, str(ROOT / "bench"))
import results_md  # noqa: E402

#: Chapters whose hidden checks have a test module.
CHAPTERS = tuple(sorted(
    p.stem.removeprefix("test_hidden_checks_ch")
    for p in (ROOT / "tests").glob("test_hidden_checks_ch[0-9]*.py")
))


def test_module(chapter):
    """The module ``tests/test_hidden_checks_ch<chapter>.py``."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    tests = str(ROOT / "tests")
    if tests not in sys.path:
        sys.path.insert(0, tests)
    return importlib.import_module(f"test_hidden_checks_ch{chapter}")


def chapter_rows(module):
    """Table rows ``| chapter | function | mutants | variants |``."""
    rows = []
    for name in module.FUNCTIONS:
        mutants = len(module.MUTANTS[name])
        variants = len(module.VARIANTS[name])
        rows.append(f"| {module.SLUG} | `{name}` | {mutants} | {variants} |")
    return rows


def section():
    """The whole section of RESULTS.md, heading included."""
    lines = [
        HEADING,
        "",
        f"Command: `{COMMAND}` (counts the lists `MUTANTS` and "
        "`VARIANTS` of `tests/test_hidden_checks_chNN.py`).",
        "",
        "For each graded function, `make test` asserts that its hidden "
        "check fails every mutant (with a translated message, and for "
        "most of them the hint that names the mistake) and gives full "
        "marks to every accepted variant, each of whose relative errors "
        "stays below a quarter of the course's tolerance (1e-6, "
        "norm-wise, against an independent float64 oracle).",
        "",
        "| chapter | function | mutants | accepted variants |",
        "| --- | --- | ---: | ---: |",
    ]
    totals = []
    for chapter in CHAPTERS:
        module = test_module(chapter)
        lines += chapter_rows(module)
        totals.append((
            module.SLUG,
            sum(len(m) for m in module.MUTANTS.values()),
            sum(len(v) for v in module.VARIANTS.values()),
        ))
    lines.append("")
    for slug, mutants, variants in totals:
        lines.append(
            f"- {slug}: {mutants} mutants, {variants} accepted variants."
        )
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--write", action="store_true",
        help="replace the section in bench/RESULTS.md",
    )
    args = parser.parse_args()
    new = section()
    if args.write:
        results_md.write_section(new, RESULTS)
    print(new, end="")


if __name__ == "__main__":
    main()
