"""The report as a bureau files it (Excel): one sheet per area, each with a header block (the
reporting unit, the year, the date made), the figures by year (numbers as numbers), and the report
year's breakdowns; a sheet of the targets' progress when there are targets."""
from __future__ import annotations

from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from ..dates import chinese_date, today
from ..exports import _cell
from .report import Report

TITLE = "社会组织孵化培育与社区治理年度统计"
BOLD = Font(bold=True)


def unit_name(report: Report) -> str:
    return "包河区（全区）" if report.district else "、".join(p.name for p in report.parks)


def report_workbook(report: Report) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for area, figures in report.areas():
        _area_sheet(book.create_sheet(area[:31]), report, area, figures)
    if report.progress:
        _targets_sheet(book.create_sheet("目标完成"), report)
    if not book.worksheets:
        _header(book.create_sheet("统计"), report, "统计")
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _header(sheet, report: Report, area: str) -> None:
    sheet.append([f"{TITLE}（{area}）"])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append(["填报单位", unit_name(report)])
    sheet.append(["统计年度", report.year])
    sheet.append(["制表日期", chinese_date(today())])
    sheet.append([])
    sheet.column_dimensions["A"].width = 26


def _area_sheet(sheet, report: Report, area: str, figures) -> None:
    _header(sheet, report, area)
    years = list(report.scope.years)
    sheet.append(["指标", "单位", *[f"{y}年" for y in years], "累计", "说明"])
    for cell in sheet[sheet.max_row]:
        cell.font = BOLD
    for figure in figures:
        sheet.append([_cell(figure.label), figure.unit, *[figure.by_year.get(y, 0) for y in years],
                      figure.cumulative, _cell(figure.note)])
    for dimension in _dimensions(figures):
        sheet.append([])
        sheet.append([f"{report.year}年 按{dimension}"])
        sheet[sheet.max_row][0].font = BOLD
        shown = [f for f in figures if dimension in f.breakdowns]
        sheet.append([dimension, *[f"{f.label}（{f.unit}）" for f in shown]])
        for cell in sheet[sheet.max_row]:
            cell.font = BOLD
        names = list(dict.fromkeys(name for f in shown for name in f.breakdowns[dimension]))
        for name in names:
            sheet.append([_cell(name), *[f.breakdowns[dimension].get(name, 0) for f in shown]])
    for column in "BCDEFGHI":
        sheet.column_dimensions[column].width = 12
    sheet.column_dimensions[chr(ord("A") + len(years) + 3)].width = 40
    for row in sheet.iter_rows(min_row=7):
        for cell in row[1:]:
            if isinstance(cell.value, (int, float)):
                cell.alignment = Alignment(horizontal="right")


def _dimensions(figures) -> list[str]:
    return list(dict.fromkeys(d for f in figures for d in f.breakdowns))


def _targets_sheet(sheet, report: Report) -> None:
    _header(sheet, report, "目标完成")
    sheet.append(["园区", "指标", "单位", "目标", "完成", "完成率"])
    for cell in sheet[sheet.max_row]:
        cell.font = BOLD
    for p in report.progress:
        sheet.append([p.target.park.name, p.figure.label if p.figure else p.target.figure_key,
                      p.figure.unit if p.figure else "", p.target.value, p.done, p.ratio])
        sheet.cell(sheet.max_row, 6).number_format = "0%"
