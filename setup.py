"""Build hook: the wheel carries what the app needs to run on its own (see setup.cfg for everything else).

In a checkout the templates, static files and migrations sit at the repository's root and the Spanish catalogue is
compiled by ``make``; a built package carries all of them inside ``deliberate/``, with the catalogues compiled.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
ASSETS = ("templates", "static", "migrations")


class BuildWithAssets(build_py):
    """Copy the root folders into the package and compile every ``messages.po`` into its ``messages.mo``."""

    def run(self) -> None:
        super().run()
        if self.editable_mode:  # an editable install reads the checkout itself
            return
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        package = Path(self.build_lib) / "deliberate"
        for name in ASSETS:
            target = package / name
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(ROOT / name, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        for po in (ROOT / "deliberate" / "translations").glob("*/LC_MESSAGES/messages.po"):
            mo = package / po.relative_to(ROOT / "deliberate").with_suffix(".mo")
            mo.parent.mkdir(parents=True, exist_ok=True)
            with po.open("rb") as source:
                catalog = read_po(source)
            with mo.open("wb") as target:
                write_mo(target, catalog, use_fuzzy=True)


setup(cmdclass={"build_py": BuildWithAssets})
