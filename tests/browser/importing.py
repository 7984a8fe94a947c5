"""What the import journeys share: open an importer, upload a file to its preview, read a count."""
from __future__ import annotations

from playwright.sync_api import expect

FILE_LABEL = "文件（.xlsx 或 .csv）"
PARK_LABEL = "园区（文件中未填“园区”时使用）"


def open_importer(person, label: str) -> None:
    """From the imports page (数据导入), the importer's link (导入学员 …)."""
    person.goto("/imports")
    expect(person.page.locator("h1")).to_have_text("数据导入")
    person.click_link(label)
    expect(person.page.locator("h1")).to_have_text(label)


def upload(person, path, park: str | None = None) -> None:
    """Choose the file (and the park for rows without one), 上传并预览: the preview of that file."""
    person.page.get_by_label(FILE_LABEL).set_input_files(str(path))
    if park:
        person.choose(PARK_LABEL, park)
    person.click_button("上传并预览")
    expect(person.page.locator("h1")).to_have_text(f"导入预览：{path.name}")


def badge(person, action: str):
    """The preview's count of rows that will do `action` (create, update, unchanged, skip, error)."""
    return person.page.locator(f".import-counts [data-action={action}]")
