"""The build step setup.cfg cannot declare: the wheel's catalogs compiled from their .po files.

Metadata, dependencies and package data live in setup.cfg. The .mo files Flask-Babel reads are never
committed (.gitignore); `make translations` compiles them in the working tree for development.
"""
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

CATALOGS = ("incubator/translations/*/LC_MESSAGES/*.po", "plugins/*/translations/*/LC_MESSAGES/*.po")


class BuildPyWithCatalogs(build_py):
    """build_py, then every copied catalog compiled next to itself (what `pybabel compile` does)."""

    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):  # an editable install reads the working tree's .mo
            return
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po
        for pattern in CATALOGS:
            for po in sorted(Path(self.build_lib).glob(pattern)):
                with po.open("rb") as source:
                    catalog = read_po(source, locale=po.parent.parent.name)
                with po.with_suffix(".mo").open("wb") as target:
                    write_mo(target, catalog)  # fuzzy entries left out, as pybabel does


setup(cmdclass={"build_py": BuildPyWithCatalogs})
