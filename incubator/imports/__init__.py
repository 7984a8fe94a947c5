"""Bringing a district's spreadsheets in (导入): organizations with their history in the core, and
whatever plugins add through `incubator_importers`. `reading` reads the file, `columns` turns cells
into values, `base` is the importer's contract and its plan, `staging` keeps an upload between its
preview and its confirmation, `views` and `cli` drive any importer."""
from ..plugins import collect, hook


def importers() -> dict:
    """{kind: importer} of the core and the plugins loaded, in the order they answer."""
    return {importer.kind: importer for importer in collect(hook().incubator_importers())}


def importer_for(kind: str):
    return importers().get(kind)
