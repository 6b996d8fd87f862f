"""The Spanish and English trees stay in step.

Pages: same files, front matter naming language and counterpart, same
sections, same display equations, same code cells (token for token, with
comments and strings left out). Notebooks: same cells, same nbgrader
metadata (grade ids, points), same code.
"""

import re

import pytest
from conftest import LANGS, ROOT
from sources import (
    code_tokens,
    front_matter,
    nbgrader_meta,
    page_code_cells,
    read_notebook,
)

PAGES = sorted(p.name for p in (ROOT / "book" / "en").glob("*.md"))
NOTEBOOK_TREES = ("solutions", "exercises")


def assignments(tree):
    """Chapter slugs with both an -es and an -en assignment in ``tree``."""
    folders = {p.name for p in (ROOT / tree).glob("[0-9]*") if p.is_dir()}
    return sorted({name.rsplit("-", 1)[0] for name in folders})


def test_same_page_files_in_both_languages():
    es = sorted(p.name for p in (ROOT / "book" / "es").glob("*.md"))
    assert es == PAGES
    assert PAGES, "no pages found"


@pytest.mark.parametrize("name", PAGES)
def test_front_matter_names_language_and_counterpart(name):
    stem = name.removesuffix(".md")
    for lang, other in (("es", "en"), ("en", "es")):
        meta = front_matter(ROOT / "book" / lang / name)
        assert meta.get("lang") == lang, f"book/{lang}/{name}: lang"
        assert meta.get("counterpart") == f"../{other}/{stem}", (
            f"book/{lang}/{name}: counterpart"
        )


def headings(path):
    """Heading levels of a page, in order (code blocks left out)."""
    text = re.sub(r"^```.*?^```", "", path.read_text("utf-8"),
                  flags=re.S | re.M)
    return [len(m[1]) for m in re.finditer(r"^(#{1,6}) ", text, re.M)]


def display_math(path):
    """Display equations, with their \\text{...} words left out."""
    text = path.read_text("utf-8")
    blocks = re.findall(r"\$\$(.*?)\$\$", text, re.S)
    blocks += re.findall(r"```\{math\}(.*?)```", text, re.S)
    return [re.sub(r"\\(text|mathrm)\{[^}]*\}", "", b).split() for b in blocks]


@pytest.mark.parametrize("name", PAGES)
def test_pages_have_the_same_sections_and_equations(name):
    es, en = ROOT / "book" / "es" / name, ROOT / "book" / "en" / name
    assert headings(es) == headings(en)
    assert display_math(es) == display_math(en)


@pytest.mark.parametrize("name", PAGES)
def test_pages_have_the_same_code_cells(name):
    es = page_code_cells(ROOT / "book" / "es" / name)
    en = page_code_cells(ROOT / "book" / "en" / name)
    assert len(es) == len(en), "different number of code cells"
    for i, (a, b) in enumerate(zip(es, en, strict=True)):
        assert code_tokens(a) == code_tokens(b), f"code cell {i} differs"


def notebook_pairs():
    for tree in NOTEBOOK_TREES:
        for slug in assignments(tree):
            folder_en = ROOT / tree / f"{slug}-en"
            for nb in sorted(folder_en.glob("*.ipynb")):
                yield pytest.param(tree, slug, nb.name,
                                   id=f"{tree}/{slug}/{nb.name}")


def test_every_assignment_exists_in_both_languages():
    for tree in NOTEBOOK_TREES:
        for slug in assignments(tree):
            for lang in LANGS:
                folder = ROOT / tree / f"{slug}-{lang}"
                assert folder.is_dir(), f"{folder} is missing"
            names = [
                sorted(p.name for p in (ROOT / tree / f"{slug}-{lang}")
                       .glob("*.ipynb"))
                for lang in LANGS
            ]
            assert names[0] == names[1], f"{tree}/{slug}: notebook names"


@pytest.mark.parametrize(("tree", "slug", "name"), list(notebook_pairs()))
def test_notebooks_have_the_same_cells(tree, slug, name):
    es = read_notebook(ROOT / tree / f"{slug}-es" / name)["cells"]
    en = read_notebook(ROOT / tree / f"{slug}-en" / name)["cells"]
    assert [c["cell_type"] for c in es] == [c["cell_type"] for c in en]
    for i, (a, b) in enumerate(zip(es, en, strict=True)):
        meta_a, meta_b = nbgrader_meta(a), nbgrader_meta(b)
        for key in ("grade_id", "points", "grade", "solution", "locked"):
            assert meta_a.get(key) == meta_b.get(key), f"cell {i}: {key}"
        if a["cell_type"] == "code":
            source_a = "".join(a["source"])
            source_b = "".join(b["source"])
            assert code_tokens(source_a) == code_tokens(source_b), (
                f"{tree}/{slug}-es/{name}: code cell {i} differs from -en"
            )
