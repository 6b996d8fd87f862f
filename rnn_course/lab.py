"""The student's JupyterLab: its language, and no instructor tools.

``make lab`` runs ``python -m rnn_course.lab <folder> --lang es|en``,
which writes a private configuration for the lab it starts (the
student's own ``~/.jupyter`` is left alone)::

    <folder>/config/labconfig/page_config.json
        nbgrader's instructor plugins switched off (the Formgrader,
        Create Assignment, the course and assignment lists and their
        menu); its Validate button stays.
    <folder>/config/jupyter_server_config.json
        nbgrader's instructor server extensions switched off.
    <folder>/settings/@jupyterlab/translation-extension/
            plugin.jupyterlab-settings
        the interface language: Spanish from the language pack
        ``jupyterlab-language-pack-es-ES`` (a pinned requirement), or
        English.

and prints the two environment variables that point JupyterLab at it,
``JUPYTER_CONFIG_DIR`` and ``JUPYTERLAB_SETTINGS_DIR``.
"""

import argparse
import json
from pathlib import Path

#: JupyterLab's locale for each language of the course.
LOCALES = {"es": "es_ES", "en": "en"}
#: nbgrader 0.9.6's JupyterLab plugins that only instructors use.
INSTRUCTOR_PLUGINS = (
    "@jupyter/nbgrader:formgrader",
    "@jupyter/nbgrader:create-assignment",
    "@jupyter/nbgrader:course-list",
    "@jupyter/nbgrader:assignment-list",
    "@jupyter/nbgrader:menu",
)
#: nbgrader's server extensions behind those plugins.
INSTRUCTOR_SERVER_EXTENSIONS = (
    "nbgrader.server_extensions.formgrader",
    "nbgrader.server_extensions.course_list",
    "nbgrader.server_extensions.assignment_list",
)
#: Where JupyterLab keeps the interface language (its user settings).
TRANSLATION_SETTINGS = Path(
    "@jupyterlab/translation-extension/plugin.jupyterlab-settings")


def write_json(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n", "utf-8")


def write_lab_settings(folder, lang):
    """Write the student lab's configuration under ``folder``.

    Parameters
    ----------
    folder : pathlib.Path
    lang : {"es", "en"}

    Returns
    -------
    dict of str to str
        The environment variables that make JupyterLab read it.
    """
    if lang not in LOCALES:
        raise ValueError(f"LANG_LAB must be one of {sorted(LOCALES)}, "
                         f"not {lang!r}")
    folder = Path(folder).resolve()
    config, settings = folder / "config", folder / "settings"
    write_json(config / "labconfig" / "page_config.json", {
        "disabledExtensions": {name: True for name in INSTRUCTOR_PLUGINS},
    })
    write_json(config / "jupyter_server_config.json", {
        "ServerApp": {"jpserver_extensions": {
            name: False for name in INSTRUCTOR_SERVER_EXTENSIONS}},
    })
    write_json(settings / TRANSLATION_SETTINGS, {"locale": LOCALES[lang]})
    return {"JUPYTER_CONFIG_DIR": str(config),
            "JUPYTERLAB_SETTINGS_DIR": str(settings)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--lang", default="es", choices=sorted(LOCALES))
    args = parser.parse_args(argv)
    for name, value in write_lab_settings(args.folder, args.lang).items():
        print(f"{name}={value}")


if __name__ == "__main__":
    main()
