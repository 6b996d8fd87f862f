"""``make lab``: the student's JupyterLab in the chosen language, without
nbgrader's instructor tools (``rnn_course/lab.py``).

The settings files that the target writes are read back; then a real
JupyterLab server is started on them (no browser) and asked what the
student's lab would load: its interface language and the plugins it
leaves out. The same server on an empty configuration shows that the
check sees the instructor tools when they are there.
"""

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import ROOT

from rnn_course.lab import (
    INSTRUCTOR_PLUGINS,
    INSTRUCTOR_SERVER_EXTENSIONS,
    LOCALES,
    TRANSLATION_SETTINGS,
    write_lab_settings,
)


def test_the_settings_files(tmp_path):
    env = write_lab_settings(tmp_path / "es", "es")
    config = Path(env["JUPYTER_CONFIG_DIR"])
    settings = Path(env["JUPYTERLAB_SETTINGS_DIR"])
    page = json.loads((config / "labconfig/page_config.json").read_text())
    assert set(page["disabledExtensions"]) == set(INSTRUCTOR_PLUGINS)
    assert "@jupyter/nbgrader:validate-assignment" not in INSTRUCTOR_PLUGINS
    server = json.loads((config / "jupyter_server_config.json").read_text())
    assert server["ServerApp"]["jpserver_extensions"] == {
        name: False for name in INSTRUCTOR_SERVER_EXTENSIONS}
    locale = json.loads((settings / TRANSLATION_SETTINGS).read_text())
    assert locale == {"locale": "es_ES"}
    env = write_lab_settings(tmp_path / "en", "en")
    locale = json.loads(
        (Path(env["JUPYTERLAB_SETTINGS_DIR"]) / TRANSLATION_SETTINGS)
        .read_text())
    assert locale == {"locale": "en"}
    with pytest.raises(ValueError, match="LANG_LAB"):
        write_lab_settings(tmp_path / "fr", "fr")


def test_the_makefile_starts_the_lab_on_those_settings():
    makefile = (ROOT / "Makefile").read_text()
    recipe = makefile.split("\nlab: ", 1)[1].split("\n\n", 1)[0]
    assert "-m rnn_course.lab $(LAB_DIR) --lang $(LANG_LAB)" in recipe
    assert "JUPYTER_CONFIG_DIR=$(LAB_DIR)/config" in recipe
    assert "JUPYTERLAB_SETTINGS_DIR=$(LAB_DIR)/settings" in recipe
    assert re.search(r"^LANG_LAB \?= es$", makefile, re.M)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def lab_sees(tmp_path, env_extra):
    """(page config, translation settings, server extensions) of a
    JupyterLab server started with ``env_extra``."""
    port, token = free_port(), "rnn-course-test"
    env = {**os.environ, **env_extra}
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser",
         f"--port={port}", "--ip=127.0.0.1", f"--IdentityProvider.token="
         f"{token}", f"--notebook-dir={tmp_path}", "--allow-root"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"

    def get(path):
        request = urllib.request.Request(
            base + path, headers={"Authorization": f"token {token}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.read().decode("utf-8")

    try:
        for _ in range(120):
            try:
                page = get("/lab")
                break
            except OSError:
                time.sleep(0.5)
        else:
            server.kill()
            pytest.fail(server.stderr.read().decode()[-2000:])
        config = json.loads(re.search(
            r'<script id="jupyter-config-data" type="application/json">'
            r"(.*?)</script>", page, re.S).group(1))
        translation = json.loads(get(
            "/lab/api/settings/@jupyterlab/translation-extension:plugin"))
        languages = json.loads(get("/lab/api/translations/"))
        return config, translation, languages
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_a_started_lab_is_spanish_and_has_no_instructor_tools(tmp_path):
    env = write_lab_settings(tmp_path / "settings", "es")
    config, translation, languages = lab_sees(tmp_path, env)
    disabled = set(config["disabledExtensions"])
    assert set(INSTRUCTOR_PLUGINS) <= disabled
    assert translation["settings"]["locale"] == LOCALES["es"]
    # The language pack (a pinned requirement) is installed.
    assert LOCALES["es"] in languages["data"], languages["data"].keys()
    # Without the settings, the same check sees the instructor tools.
    plain = tmp_path / "plain"
    config, translation, _ = lab_sees(tmp_path, {
        "JUPYTER_CONFIG_DIR": str(plain / "config"),
        "JUPYTERLAB_SETTINGS_DIR": str(plain / "settings")})
    assert not set(INSTRUCTOR_PLUGINS) & set(config["disabledExtensions"])
    assert translation["settings"].get("locale", "default") != "es_ES"
