"""Reading the course's sources: page code cells, notebooks, token streams.

Used by the tests that keep the two languages in step and the release
free of solutions.
"""

import io
import json
import re
import tokenize
from pathlib import Path

CODE_CELL = re.compile(
    r"^```\{code-cell\}[^\n]*\n(?P<body>.*?)^```\s*$", re.S | re.M
)
FRONT_MATTER = re.compile(r"\A---\n(?P<yaml>.*?)\n---\n", re.S)
SOLUTION = re.compile(
    r"### BEGIN SOLUTION\n(?P<code>.*?)### END SOLUTION", re.S
)


def code_tokens(source):
    """Python tokens of ``source`` without comments, strings and layout.

    Two cells that differ only in comments and string literals (messages,
    labels, the ``lang`` argument) give the same list.
    """
    lines = [
        line for line in source.splitlines()
        if not line.lstrip().startswith(("%", "!"))
    ]
    skip = {
        tokenize.COMMENT, tokenize.STRING, tokenize.NL, tokenize.NEWLINE,
        tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER,
    }
    skip |= {getattr(tokenize, name) for name in (
        "FSTRING_START", "FSTRING_MIDDLE", "FSTRING_END",
    ) if hasattr(tokenize, name)}
    readline = io.StringIO("\n".join(lines) + "\n").readline
    return [
        tok.string for tok in tokenize.generate_tokens(readline)
        if tok.type not in skip
    ]


def page_code_cells(path):
    """Sources of the ``{code-cell}`` blocks of a MyST page, options cut."""
    text = Path(path).read_text("utf-8")
    cells = []
    for match in CODE_CELL.finditer(text):
        body = match["body"]
        body = re.sub(r"\A---\n.*?\n---\n", "", body, flags=re.S)
        body = "\n".join(
            line for line in body.splitlines() if not line.startswith(":")
        )
        cells.append(body)
    return cells


def front_matter(path):
    """The YAML front matter of a page, as a dict."""
    import yaml

    match = FRONT_MATTER.match(Path(path).read_text("utf-8"))
    return yaml.safe_load(match["yaml"]) if match else {}


def read_notebook(path):
    """The notebook as a dict (plain JSON: a broken file fails loudly)."""
    return json.loads(Path(path).read_text("utf-8"))


def cell_source(cell):
    source = cell["source"]
    return "".join(source) if isinstance(source, list) else source


def nbgrader_meta(cell):
    return cell.get("metadata", {}).get("nbgrader", {})


def solution_lines(notebook, min_length=25):
    """Distinctive lines of the solution regions of a notebook.

    A line that the notebook also has outside its solution regions (a
    call in a visible test, say) is shown to students anyway: left out.
    """
    lines, elsewhere = set(), set()
    for cell in notebook["cells"]:
        text = cell_source(cell)
        for match in SOLUTION.finditer(text):
            for line in match["code"].splitlines():
                line = line.strip()
                if len(line) >= min_length and not line.startswith("#"):
                    lines.add(line)
        for line in SOLUTION.sub("", text).splitlines():
            elsewhere.add(line.strip())
    return lines - elsewhere
