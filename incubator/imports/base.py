"""What every importer is: its columns, a check that plans each row without writing, and a write
that carries the plan out in one transaction. The pages (`views.py`) and the command
(`incubator import KIND FILE`) drive any importer the same way; a plugin adds one through the
`incubator_importers` hook."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from ..errors import ValidationError
from .columns import CellError, Column, Problem, SheetRow, header_key
from .reading import Table

# What a row will do. A row that matches an existing record offers some of update / skip / create.
ACTIONS = {"create": "新建", "update": "更新", "unchanged": "无变化", "skip": "跳过", "error": "有错误"}


@dataclass
class PlannedRow(SheetRow):
    action: str = "create"
    match: object = None          # the existing record this row is probably
    match_label: str = ""         # how it is shown: its name and park
    reason: str = ""              # why we think so (统一社会信用代码相同 …)
    choices: tuple[str, ...] = ()  # actions the user may pick instead, for a matched row
    changes: list[str] = field(default_factory=list)  # headers an update changes
    notes: list[str] = field(default_factory=list)    # what the user should know, not errors
    data: dict = field(default_factory=dict)          # the importer's own: what it will write

    @property
    def bad(self) -> bool:
        return bool(self.problems)


@dataclass
class Plan:
    """The rows of a file, each with what it will do; the file's own remarks in `notes`."""

    header: list[str]
    rows: list[PlannedRow]
    notes: list[str] = field(default_factory=list)
    positions: dict[str, int] = field(default_factory=dict)  # column key → index in the file's rows

    @property
    def bad_rows(self) -> list[PlannedRow]:
        return [row for row in self.rows if row.bad]

    @property
    def matched_rows(self) -> list[PlannedRow]:
        return [row for row in self.rows if row.choices and not row.bad]

    def bad_rows_table(self, masked: dict | None = None) -> tuple[list[str], list[list]]:
        """The bad rows as they were read, each with what is wrong first: to fix and import again
        (the two extra columns are ignored on the way back in). `masked` ({column key: function})
        hides what must not leave the server in a file (an ID number: its mask)."""
        hide = {self.positions[key]: fn for key, fn in (masked or {}).items() if key in self.positions}
        rows = []
        for row in self.bad_rows:
            cells = [hide[i](cell) if i in hide and cell not in (None, "") else cell for i, cell in enumerate(row.cells)]
            rows.append(["；".join(map(str, row.problems)), row.number, *cells])
        return ["错误说明", "原行号", *self.header], rows

    def counts(self) -> dict[str, int]:
        counted = Counter("error" if row.bad else row.action for row in self.rows)
        return {action: counted.get(action, 0) for action in ACTIONS}

    def choose(self, choices: dict[int, str], default: str | None = None) -> None:
        """Apply the user's choices ({row number: action}) to the matched rows; `default` for those
        without one. An action a row does not offer is ignored."""
        for row in self.matched_rows:
            wanted = choices.get(row.number, default)
            if wanted in row.choices:
                row.action = wanted


@dataclass
class Outcome:
    counts: dict[str, int]
    ids: list[int] = field(default_factory=list)  # the records created or updated
    accounts: list = field(default_factory=list)  # accounts opened without a password (their links are shown)

    @classmethod
    def of(cls, rows, *, created: int, updated: int, **values) -> Outcome:
        """What a write did: `created` and `updated` as counted by it, the rows left unchanged or
        skipped as planned."""
        counted = Counter(row.action for row in rows)
        return cls(counts={"create": created, "update": updated, "unchanged": counted["unchanged"],
                           "skip": counted["skip"]}, **values)


def load_row(row: PlannedRow, schema, data: dict, headers: dict[str, str]) -> dict:
    """`schema.load(data)` for one row: the clean values, or {} with every error added to the row's
    problems under its column's header (`headers`: field → header), unless that column already has
    one (a cell that could not be read)."""
    import marshmallow as ma

    from ..schemas import first_message
    try:
        return schema.load(data)
    except ma.ValidationError as exc:
        for key, messages in exc.normalized_messages().items():
            if not any(p.header == headers.get(key) for p in row.problems):
                row.problems.append(Problem(headers.get(key, ""), first_message(messages)))
        return {}


class Importer:
    """Subclass with `kind`, `label`, `columns`, `may_import(user)`, `check_row` and `write`."""

    kind = ""
    label = ""
    columns: tuple[Column, ...] = ()
    description = ""
    list_endpoint: str | None = None  # the page listing what was imported, linked when done
    masked: dict = {}  # {column key: cell → shown}: never written back out as typed (the bad rows' file)

    def url_of(self, record) -> str | None:
        """The page of an existing record a row matches, for the preview."""
        return None

    def shown(self, row, column) -> str:
        """A value as the preview shows it: dates in the district's style, labels not keys."""
        from datetime import date

        from ..dates import show_date
        value = row.values.get(column.key)
        if isinstance(value, date):
            return show_date(value)
        return "" if value is None else str(value)

    preview_keys: tuple[str, ...] = ()  # the columns the preview's table of new rows shows (the first six)

    def preview_columns(self) -> list[Column]:
        if self.preview_keys:
            return [c for key in self.preview_keys for c in self.columns if c.key == key]
        return list(self.columns[:6])

    def row_label(self, row) -> str:
        """How the preview names a row: its first column's value."""
        return str(row.values.get(self.columns[0].key) or "")

    # -- who ----------------------------------------------------------------------------------
    def may_import(self, user) -> bool:
        raise NotImplementedError

    def parks_for(self, user) -> list:
        """The parks `user` may import into (all of them for the command line, user None)."""
        return []

    # -- reading --------------------------------------------------------------------------------
    def read(self, table: Table) -> tuple[list[SheetRow], list[str], dict[str, int]]:
        """The rows with their values by key (only for the columns the file has: an update leaves
        the others alone), and remarks on the header (ignored columns); a file missing a required
        column is refused."""
        by_name = {}
        for column in self.columns:
            for name in column.names():
                by_name[name] = column
        positions: dict[str, int] = {}
        ignored = []
        for index, header in enumerate(table.header):
            column = by_name.get(header_key(header))
            if column is None or column.key in positions:
                if header:
                    ignored.append(header)
                continue
            positions[column.key] = index
        missing = [c.header for c in self.columns if c.required and c.key not in positions]
        if missing:
            raise ValidationError("缺少必填列：" + "、".join(missing) + "。请使用导入模板的表头。", field="file")
        rows = []
        for number, cells in table.rows:
            row = SheetRow(number=number, cells=cells)
            for column in self.columns:
                index = positions.get(column.key)
                if index is None:
                    continue
                cell = cells[index] if index < len(cells) else None
                try:
                    row.values[column.key] = column.read(cell)
                except CellError as exc:
                    row.problems.append(Problem(column.header, str(exc)))
                    row.values[column.key] = None
            rows.append(row)
        notes = [f"未识别的列已忽略：{'、'.join(ignored)}"] if ignored else []
        return rows, notes, positions

    def plan(self, table: Table, *, user, parks, default_park=None) -> Plan:
        rows, notes, positions = self.read(table)
        planned = self.check(rows, user=user, parks=parks, default_park=default_park)
        return Plan(header=table.header, rows=planned, notes=notes, positions=positions)

    def check(self, rows: list[SheetRow], *, user, parks, default_park) -> list[PlannedRow]:
        """Plan every row (no writes): its action, its problems, what it matches."""
        raise NotImplementedError

    def write(self, rows: list[PlannedRow], *, user, source: str) -> Outcome:
        """Carry out the rows (none of them bad) inside one transaction."""
        raise NotImplementedError

    def carry_out(self, plan: Plan, *, user, source: str, good_rows_only: bool = False) -> Outcome:
        """Write the plan: every row must be good, unless `good_rows_only` (the bad rows are left out,
        and the user has them as a file)."""
        if plan.bad_rows and not good_rows_only:
            first = plan.bad_rows[0]
            raise ValidationError(f"有 {len(plan.bad_rows)} 行有错误（第一处：第 {first.number} 行，"
                                  f"{first.problems[0]}），未导入任何数据", field="file")
        return self.write([row for row in plan.rows if not row.bad], user=user, source=source)

    # -- the template ------------------------------------------------------------------------------
    def template(self) -> tuple[list[str], list[list]]:
        """The header, and the notes sheet's rows (列, 必填, 说明, 示例): the example stays out of the
        sheet to fill, so that nobody imports it by mistake."""
        header = [c.header for c in self.columns]
        notes = [[c.header, "是" if c.required else "", c.hint, c.example] for c in self.columns]
        return header, notes
