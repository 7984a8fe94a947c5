"""`incubator import KIND FILE`: the same check and write as the pages, from a terminal (as the
system: every park, audit entries without a user)."""
from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from ..errors import DomainError

SHOWN = 50


@click.command("import")
@click.argument("kind")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--park", "park_code", help="园区代码：文件中未填“园区”的行导入到这里")
@click.option("--dry-run", is_flag=True, help="只检查并显示将如何处理，不写入")
@click.option("--good-rows", is_flag=True, help="有错误行时仍导入无误的行（错误行可用 --bad-rows 保存）")
@click.option("--bad-rows", type=click.Path(dir_okay=False, path_type=Path), help="把错误行写入这个 .xlsx 文件")
@click.option("--on-match", type=click.Choice(["update", "skip", "create"]),
              help="与已有记录匹配的行如何处理（默认按建议：信用代码相同则更新，仅名称相同则跳过）")
@with_appcontext
def import_command(kind, file, park_code, dry_run, good_rows, bad_rows, on_match):
    """Import KIND (organizations, or what a plugin adds) from FILE (.xlsx or .csv, UTF-8 or GBK)."""
    from sqlalchemy import select

    from ..extensions import db
    from ..parks.models import Park
    from . import importers
    from .reading import read_table
    found = importers()
    if kind not in found:
        raise click.UsageError(f"未知的导入类型：{kind}（可用：{'、'.join(found)}）")
    importer = found[kind]
    park = None
    if park_code:
        park = db.session.scalar(select(Park).where(Park.code == park_code))
        if park is None:
            raise click.UsageError(f"没有代码为 {park_code} 的园区")
    try:
        plan = importer.plan(read_table(file.name, file.read_bytes()), user=None,
                             parks=importer.parks_for(None), default_park=park)
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    plan.choose({}, default=on_match)
    _report(plan)
    if bad_rows and plan.bad_rows:
        _write_bad_rows(plan, bad_rows, importer.masked)
        click.echo(f"错误行已写入 {bad_rows}")
    if dry_run:
        click.echo("（试运行：未写入任何数据）")
        raise SystemExit(1 if plan.bad_rows else 0)
    try:
        outcome = importer.carry_out(plan, user=None, source=file.name, good_rows_only=good_rows)
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo("已导入：" + "，".join(f"{_label(a)} {n}" for a, n in outcome.counts.items()))


def _label(action: str) -> str:
    from .base import ACTIONS
    return ACTIONS[action]


def _report(plan) -> None:
    click.echo("，".join(f"{_label(a)} {n}" for a, n in plan.counts().items()) + f"（共 {len(plan.rows)} 行）")
    for note in plan.notes:
        click.echo(note)
    problems = [(row.number, problem) for row in plan.bad_rows for problem in row.problems]
    for number, problem in problems[:SHOWN]:
        click.echo(f"第 {number} 行 {problem}", err=True)
    if len(problems) > SHOWN:
        click.echo(f"……另有 {len(problems) - SHOWN} 处错误", err=True)
    for row in plan.matched_rows[:SHOWN]:
        click.echo(f"第 {row.number} 行 {row.reason}：{row.match_label} → {_label(row.action)}"
                   + (f"（将更改 {'、'.join(row.changes)}）" if row.changes else ""))


def _write_bad_rows(plan, path: Path, masked: dict) -> None:
    from ..exports import workbook_bytes
    path.write_bytes(workbook_bytes({"错误行": plan.bad_rows_table(masked)}))
