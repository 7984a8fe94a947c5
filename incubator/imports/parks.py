"""The park a row names (园区: its code or its Chinese name, else the park chosen at upload), and the
rule every importer applies to it: it exists, the plugin is on there, and the user may import into
it — each refusal a Problem under the row's 园区 column."""
from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from ..parks.models import Park
from .columns import Problem


class ParkColumn:
    def __init__(self, parks, default_park=None, *, what: str, plugin: str | None = None,
                 plugin_title: str = "", header: str = "园区", key: str = "park"):
        """`parks`: those the user may import into; `what`: the records, as the refusal names them
        (组织, 志愿者); `plugin`: the plugin that must be enabled in the park (its `plugin_title`
        in the refusal)."""
        self.allowed = {p.id for p in parks}
        self.default_park = default_park
        self.what, self.plugin, self.plugin_title = what, plugin, plugin_title
        self.header, self.key = header, key
        self.named: dict[str, Park] = {}
        for park in db.session.scalars(select(Park).order_by(Park.id)):
            self.named[park.code.casefold()] = park
            self.named.setdefault(park.name, park)

    def of(self, row) -> Park | None:
        """The row's park, or None with the reason added to the row's problems."""
        from ..plugins import is_enabled
        wanted = str(row.values.get(self.key) or "").strip()
        park = self.named.get(wanted.casefold(), self.named.get(wanted)) if wanted else self.default_park
        if park is None:
            row.problems.append(Problem(self.header, f"没有代码或名称为“{wanted}”的园区" if wanted
                                        else "请填写园区，或在导入时选择园区"))
        elif self.plugin and not is_enabled(self.plugin, park):
            row.problems.append(Problem(self.header, f"“{park.name}”未启用{self.plugin_title or self.plugin}"))
            park = None
        elif park.id not in self.allowed:
            row.problems.append(Problem(self.header, f"你无权向“{park.name}”导入{self.what}"))
            park = None
        return park
