"""Build the rendered course into ``_build/html/``.

One Jupyter Book 1 site per language, from the shared ``_config.yml`` and
``_toc.yml``::

    _build/html/index.html   landing page: choose Español or English
    _build/html/es/          the Spanish site (interface, search in Spanish)
    _build/html/en/          the English site
    _build/html/mathjax/     MathJax 3, from the django-static-mathjax package

Warnings are errors, and a page whose code fails fails the build. Run it
with the course's venv first on PATH (``make book`` does).
"""

import html
import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "_build"
HTML = BUILD / "html"

#: What differs between the two sites.
LANGUAGES = {
    "es": {
        "title": "Redes neuronales recurrentes",
        # The footer reads "Por <author>".
        "author": "el curso abierto Redes neuronales recurrentes",
        "name": "Español",
        "choose": "Elige el idioma del curso",
        "search": "Buscar en el curso…",
        "show_code": "Mostrar el código",
        "hide_code": "Ocultar el código",
        "description": "Curso abierto de redes neuronales recurrentes, "
        "de los embeddings al análisis de sentimiento.",
    },
    "en": {
        "title": "Recurrent neural networks",
        # The footer reads "By <author>".
        "author": "the open course Recurrent neural networks",
        "name": "English",
        "choose": "Choose the language of the course",
        "search": "Search the course…",
        "show_code": "Show the code",
        "hide_code": "Hide the code",
        "description": "An open course on recurrent neural networks, "
        "from embeddings to sentiment analysis.",
    },
}


#: The address the course was drafted with: it does not exist.
PLACEHOLDER = "github.com/rnn-course/rnn-course"


def has_repository(config):
    """Whether ``config`` names a real address for the repository."""
    url = (config.get("repository") or {}).get("url") or ""
    return bool(url.strip()) and PLACEHOLDER not in url


def site_config(lang):
    """The shared ``_config.yml`` with this language's title and locale."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text("utf-8"))
    config["title"] = LANGUAGES[lang]["title"]
    config["author"] = LANGUAGES[lang]["author"]
    config["sphinx"]["config"]["language"] = lang
    config["sphinx"]["config"].setdefault("html_theme_options", {})[
        "search_bar_text"] = LANGUAGES[lang]["search"]
    # The toggle of folded code cells (myst-nb), in the site's language.
    config["sphinx"]["config"]["nb_code_prompt_show"] = (
        LANGUAGES[lang]["show_code"]
    )
    config["sphinx"]["config"]["nb_code_prompt_hide"] = (
        LANGUAGES[lang]["hide_code"]
    )
    # Extension folders are relative to the repository, not to the copy.
    extensions = config["sphinx"].get("local_extensions", {})
    for name, folder in extensions.items():
        extensions[name] = str(ROOT / folder)
    # The repository's address, one setting in _config.yml: without one
    # (the course has no public address yet), no page links to a
    # repository and no page opens its notebook on Binder or Colab, which
    # need a public one.
    if not has_repository(config):
        config["html"]["use_repository_button"] = False
        config.pop("launch_buttons", None)
    return config


def site_toc(lang):
    """The shared ``_toc.yml`` with ``{lang}`` filled in."""
    return (ROOT / "_toc.yml").read_text("utf-8").replace("{lang}", lang)


def build_site(lang):
    """Build one language site and copy it to ``_build/html/<lang>/``."""
    work = BUILD / "sites" / lang
    work.mkdir(parents=True, exist_ok=True)
    config = work / "_config.yml"
    config.write_text(yaml.safe_dump(site_config(lang)), "utf-8")
    toc = work / "_toc.yml"
    toc.write_text(site_toc(lang), "utf-8")
    subprocess.run(
        [
            "jupyter-book", "build", str(ROOT),
            "--config", str(config), "--toc", str(toc),
            "--path-output", str(work),
            "--warningiserror", "--nitpick", "--keep-going",
        ],
        check=True,
    )
    target = HTML / lang
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(work / "_build" / "html", target)


def copy_mathjax():
    """Copy MathJax 3 (ES5 bundle) from its registry package."""
    spec = importlib.util.find_spec("mathjax")
    if spec is None:
        sys.exit(
            "MathJax is missing: install the PyPI package "
            "django-static-mathjax (make venv does)."
        )
    source = Path(spec.submodule_search_locations[0]) / "static/mathjax/es5"
    target = HTML / "mathjax"
    if not (target / "tex-chtml.js").exists():
        shutil.copytree(source, target, dirs_exist_ok=True)


def landing_page():
    """HTML of the page that lets the reader choose a language."""
    choices = "\n".join(
        f'  <section lang="{lang}">\n'
        f"    <h1>{html.escape(text['title'])}</h1>\n"
        f"    <p>{html.escape(text['description'])}</p>\n"
        f'    <p><a href="{lang}/index.html" hreflang="{lang}">'
        f"{html.escape(text['choose'])}: {html.escape(text['name'])}"
        "</a></p>\n  </section>"
        for lang, text in LANGUAGES.items()
    )
    return f"""<!DOCTYPE html>
<html lang="es">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Redes neuronales recurrentes · Recurrent neural networks</title>
  <style>
    body {{ font-family: system-ui, sans-serif; max-width: 40rem;
           margin: 4rem auto; padding: 0 1rem; line-height: 1.5; }}
    section {{ margin-bottom: 3rem; }}
    a {{ font-size: 1.2rem; }}
  </style>
</head>
<body>
{choices}
</body>
</html>
"""


def main():
    HTML.mkdir(parents=True, exist_ok=True)
    for lang in LANGUAGES:
        build_site(lang)
    copy_mathjax()
    (HTML / "index.html").write_text(landing_page(), "utf-8")
    print(f"The course is in {HTML / 'index.html'}")


if __name__ == "__main__":
    main()
