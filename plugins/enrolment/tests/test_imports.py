"""Bulk import of a roster (issue 10): uploads are read within bounds (rows, columns, cell size, an
.xlsx's uncompressed size), streamed, with a clear message at the first limit passed; and the
refusals tell a manager nothing about accounts the manager may not see."""
import io
import tracemalloc
import zipfile

import pytest
from openpyxl import Workbook

from incubator.errors import ValidationError
from plugins.enrolment import imports, services
from plugins.enrolment.imports import Limits, read_table

from .conftest import login

MB = 1024 * 1024


def peak_memory(work) -> tuple[int, object]:
    """The peak of memory allocated while `work()` runs, and what it raised (or returned)."""
    tracemalloc.start()
    try:
        try:
            outcome = work()
        except ValidationError as exc:
            outcome = exc
        return tracemalloc.get_traced_memory()[1], outcome
    finally:
        tracemalloc.stop()


def _xlsx(rows) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _with_sheet(write_sheet) -> bytes:
    """A real workbook whose first sheet's XML is written, in chunks, by `write_sheet(file)`."""
    source = zipfile.ZipFile(io.BytesIO(_xlsx([["用户名"]])))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename == "xl/worksheets/sheet1.xml":
                with target.open(info.filename, "w") as sheet:
                    write_sheet(sheet)
            else:
                target.writestr(info, source.read(info))
    return buffer.getvalue()


SHEET_START = (b'<?xml version="1.0" encoding="UTF-8"?>'
               b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')


def zip_bomb(uncompressed_mb: int) -> bytes:
    """A small .xlsx whose sheet inflates to `uncompressed_mb` MB of rows."""
    def write(sheet):
        sheet.write(SHEET_START + b'<sheetData><row><c t="inlineStr"><is><t>username</t></is></c></row>')
        chunk = b'<row><c t="inlineStr"><is><t>trainee-wang</t></is></c></row>' * (MB // 60)
        for _ in range(uncompressed_mb):
            sheet.write(chunk)
        sheet.write(b"</sheetData></worksheet>")
    return _with_sheet(write)


def wide_sheet(rows: int) -> bytes:
    """A small .xlsx that declares itself 16,384 columns wide (A1:XFD…), as Excel's "format the
    whole sheet" leaves it: a reader that pads every row to the declared width allocates gigabytes."""
    def write(sheet):
        sheet.write(SHEET_START + f'<dimension ref="A1:XFD{rows}"/><sheetData>'.encode())
        sheet.write(b'<row r="1"><c r="A1" t="inlineStr"><is><t>username</t></is></c>'
                    b'<c r="XFD1" t="inlineStr"><is><t>x</t></is></c></row>')
        for n in range(2, rows + 1):
            sheet.write(f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>t{n}</t></is></c>'
                        f'<c r="XFD{n}"><v>1</v></c></row>'.encode())
        sheet.write(b"</sheetData></worksheet>")
    return _with_sheet(write)


def huge_csv(megabytes: int) -> bytes:
    row = "trainee-wang,王学员\n".encode()
    return "用户名,姓名\n".encode() + row * (megabytes * MB // len(row))


def post_file(client, offering, content: bytes, name: str):
    return client.post(f"/academy/manage/{offering.id}/import", data={"file": (io.BytesIO(content), name)},
                       content_type="multipart/form-data")


# -- the limits are configuration -------------------------------------------------------------------

def test_the_limits_have_defaults_an_instance_may_change(app):
    assert (app.config["ACADEMY_IMPORT_MAX_ROWS"], app.config["ACADEMY_IMPORT_MAX_COLUMNS"],
            app.config["ACADEMY_IMPORT_MAX_CELL"], app.config["ACADEMY_IMPORT_MAX_XLSX_MB"]) == (2000, 50, 1000, 10)


def test_a_file_over_the_configured_row_limit_is_refused(app, make_offering, users, monkeypatch):
    monkeypatch.setitem(app.config, "ACADEMY_IMPORT_MAX_ROWS", 3)
    content = "用户名\n" + "trainee-wang\n" * 4
    with pytest.raises(ValidationError, match="一次最多导入 3 行"):
        services.import_roster(make_offering(), "名单.csv", content.encode(), by=users["fangxing-mgr"])


# -- .xlsx ---------------------------------------------------------------------------------------------

def test_a_zip_bomb_is_refused_before_it_is_inflated(app, make_offering, users):
    bomb = zip_bomb(64)
    assert len(bomb) < MB // 2  # 64 MB of sheet in under half a megabyte
    offering = make_offering()
    peak, outcome = peak_memory(lambda: services.import_roster(offering, "名单.xlsx", io.BytesIO(bomb),
                                                               by=users["fangxing-mgr"]))
    assert isinstance(outcome, ValidationError) and "解压后超过 10 MB" in outcome.message
    assert peak < 2 * MB


def test_a_sheet_that_declares_16384_columns_is_read_fifty_columns_wide(ctx):
    content = wide_sheet(3000)
    peak, outcome = peak_memory(lambda: read_table("名单.xlsx", content, Limits()))
    assert isinstance(outcome, ValidationError) and outcome.message == "一次最多导入 2000 行"
    assert peak < 30 * MB  # padded to 16,384 columns, 2,002 rows took over 500 MB


def test_a_wide_sheet_within_the_row_limit_is_read_up_to_the_column_limit(ctx):
    rows = read_table("名单.xlsx", wide_sheet(5), Limits())
    assert [row[0] for row in rows] == ["username", "t2", "t3", "t4", "t5"]
    assert {len(row) for row in rows} == {50}


def test_a_part_that_inflates_past_its_declared_size_is_unreadable_not_a_bomb(ctx):
    """The declared sizes can lie low: zipfile stops at the declared size and fails the check."""
    content = bytearray(zip_bomb(8))
    archive = zipfile.ZipFile(io.BytesIO(bytes(content)))
    sheet = archive.getinfo("xl/worksheets/sheet1.xml")
    _lie_about_size(content, sheet, 100_000)
    peak, outcome = peak_memory(lambda: read_table("名单.xlsx", bytes(content), Limits()))
    assert isinstance(outcome, ValidationError) and "无法读取该 Excel 文件" in outcome.message
    assert peak < 10 * MB


def _lie_about_size(content: bytearray, info: zipfile.ZipInfo, size: int) -> None:
    """Rewrite a part's uncompressed size in its local header and its central directory entry."""
    content[info.header_offset + 22:info.header_offset + 26] = size.to_bytes(4, "little")
    entry = content.find(b"PK\x01\x02")
    while content[entry + 46:entry + 46 + len(info.filename)] != info.filename.encode():
        entry = content.find(b"PK\x01\x02", entry + 4)
    content[entry + 24:entry + 28] = size.to_bytes(4, "little")


def test_an_unreadable_xlsx_is_a_clear_error(ctx):
    with pytest.raises(ValidationError, match="无法读取该 Excel 文件"):
        read_table("名单.xlsx", b"PK\x03\x04 not really a zip", Limits())


def test_a_cell_over_the_limit_names_its_row_and_column(ctx):
    with pytest.raises(ValidationError, match="第3行第2列：内容超过 1000 个字符"):
        read_table("名单.xlsx", _xlsx([["用户名", "姓名"], ["a", "b"], ["c", "长" * 1001]]), Limits())


# -- .csv ----------------------------------------------------------------------------------------------

def test_a_huge_csv_stops_being_read_past_the_row_limit(ctx):
    stream = io.BytesIO(huge_csv(20))
    peak, outcome = peak_memory(lambda: read_table("名单.csv", stream, Limits()))
    assert isinstance(outcome, ValidationError) and outcome.message == "一次最多导入 2000 行"
    assert stream.tell() < MB // 5  # of 20 MB
    assert peak < MB


def test_a_huge_csv_upload_gets_the_row_limit_message(client, make_offering):
    offering = make_offering()
    login(client, "fangxing-mgr")
    response = post_file(client, offering, huge_csv(5), "名单.csv")
    assert response.status_code == 422 and "一次最多导入 2000 行" in response.get_data(as_text=True)


def test_blank_lines_count_towards_a_cap_on_all_rows(ctx):
    content = "用户名\ntrainee-wang\n" + "\n" * 30_000 + "trainee-chen\n"
    with pytest.raises(ValidationError, match="文件超过 20010 行（空行也计算在内）"):
        read_table("名单.csv", content.encode(), Limits())


def test_a_field_over_the_csv_modules_limit_is_a_row_error_not_a_500(client, make_offering):
    """An unclosed quote makes one field of every line after it, past csv.field_size_limit()."""
    offering = make_offering()
    login(client, "fangxing-mgr")
    content = ('用户名,姓名\ntrainee-wang,王学员\ntrainee-chen,"陈\n' + ("学" * 900 + "\n") * 200).encode()
    response = post_file(client, offering, content, "名单.csv")
    assert response.status_code == 422
    assert "第3行：有一格内容过长（每格最多 1000 个字符）" in response.get_data(as_text=True)


def test_an_over_long_line_is_refused_before_it_is_split(ctx):
    content = "用户名,姓名\n" + "x," * 60_000 + "\n"
    with pytest.raises(ValidationError, match="第2行：内容过长（最多 50 列，每格最多 1000 个字符）"):
        read_table("名单.csv", content.encode(), Limits())


def test_a_csv_cell_over_the_limit_names_its_row_and_column(ctx):
    with pytest.raises(ValidationError, match="第2行第2列：内容超过 1000 个字符"):
        read_table("名单.csv", ("用户名,姓名\ntrainee-wang," + "王" * 1001 + "\n").encode(), Limits())


def test_a_gbk_csv_is_still_read_when_streamed(ctx):
    rows = read_table("名单.csv", io.BytesIO("手机号,姓名\n13700000001,赵敏\n".encode("gbk")), Limits())
    assert rows == [["手机号", "姓名"], ["13700000001", "赵敏"]]


def test_reading_leaves_the_upload_open(ctx):
    stream = io.BytesIO("用户名\ntrainee-wang\n".encode())
    read_table("名单.csv", stream, Limits())
    assert not stream.closed


# -- the refusals reveal no one the manager may not see ---------------------------------------------

def refusals(offering, csv: str, by) -> list[str]:
    with pytest.raises(ValidationError) as refused:
        services.import_roster(offering, "名单.csv", csv.encode(), by=by)
    return refused.value.reasons


def test_an_account_the_manager_may_not_see_reads_exactly_like_no_account(make_offering, users):
    offering = make_offering()
    manager = users["fangxing-mgr"]
    for hidden in ("admin", "changqing-mgr"):
        seen = refusals(offering, f"用户名,姓名\n{hidden},\n", manager)
        missing = refusals(offering, "用户名,姓名\nnobody-at-all,\n", manager)
        assert seen == [m.replace("nobody-at-all", hidden) for m in missing]
        assert seen == [f"第2行：找不到账号 {hidden}（请学员先注册）"]
        # a name given to test a guess reads the same too, and never the real one
        guessed = refusals(offering, f"用户名,姓名\n{hidden},猜的名字\n", manager)
        assert guessed == seen and users[hidden].name not in "".join(guessed)


def test_a_hidden_account_found_by_phone_reads_like_no_account(make_offering, users):
    from incubator.extensions import db
    users["changqing-mgr"].phone = "13955550000"
    db.session.commit()
    offering = make_offering()
    seen = refusals(offering, "手机号,姓名\n13955550000,错的\n", users["fangxing-mgr"])
    missing = refusals(offering, "手机号,姓名\n13955559999,错的\n", users["fangxing-mgr"])
    assert seen == [m.replace("13955559999", "13955550000") for m in missing]


def test_a_wrong_name_prints_neither_the_real_name_nor_the_username(make_offering, make_trainee, users):
    person = make_trainee(name="赵敏")
    offering = make_offering()
    [reason] = refusals(offering, f"手机号,姓名\n{person.phone},张三\n", users["fangxing-mgr"])
    assert reason == f"第2行：姓名“张三”与账号 {person.phone} 登记的姓名不符"
    assert "赵敏" not in reason and person.username not in reason


def test_duplicates_and_the_already_enrolled_are_named_as_the_file_names_them(make_offering, make_trainee, users):
    person, enrolled = make_trainee(name="赵敏"), make_trainee(name="钱多")
    offering = make_offering(capacity=10)
    services.enrol(offering, enrolled, by=enrolled)
    reasons = refusals(offering, f"用户名,手机号\n{person.username},\n,{person.phone}\n,{enrolled.phone}\n",
                       users["fangxing-mgr"])
    assert reasons == [f"第3行：{person.phone} 与第2行重复", f"第4行：{enrolled.phone} 已报名该班次（已报名）"]
    assert "赵敏" not in "".join(reasons) and "钱多" not in "".join(reasons)


def test_the_error_page_shows_no_real_name_of_a_hidden_account(client, make_offering, users):
    offering = make_offering()
    login(client, "fangxing-mgr")
    response = post_file(client, offering, "用户名,姓名\nchangqing-mgr,随便\ntrainee-wang,\n".encode(), "名单.csv")
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "第2行：找不到账号 changqing-mgr" in page
    assert users["changqing-mgr"].name not in page


def test_managers_still_enrol_trainees_experts_and_their_own_parks_managers(make_offering, users):
    offering = make_offering()
    enrolled = services.import_roster(offering, "名单.csv", "用户名\ntrainee-wang\nexpert-zhou\nfangxing-mgr\n".encode(),
                                      by=users["fangxing-mgr"])
    assert [e.user.username for e in enrolled] == ["trainee-wang", "expert-zhou", "fangxing-mgr"]


def test_an_administrator_may_enrol_anyone(make_offering, users):
    enrolled = services.import_roster(make_offering(), "名单.csv", "用户名\nchangqing-mgr\n".encode(), by=users["admin"])
    assert [e.user.username for e in enrolled] == ["changqing-mgr"]


def test_may_enrol_answers_for_the_roles(users):
    manager = users["fangxing-mgr"]
    assert imports.may_enrol(manager, users["trainee-chen"], {})
    assert not imports.may_enrol(manager, users["district-mgr"], {})
    assert imports.may_enrol(manager, users["district-mgr"], {users["district-mgr"].id: "cancelled"})


def test_enrolling_one_hidden_account_reads_like_no_account(client, make_offering, api):
    offering = make_offering()
    login(client, "fangxing-mgr")
    for account in ("changqing-mgr", "nobody-at-all"):
        page = client.post(f"/academy/manage/{offering.id}/enrol", data={"person": account},
                           follow_redirects=True).get_data(as_text=True)
        assert f"找不到账号：{account}（请学员先注册）" in page and "常青街道管理员" not in page
    headers = api("fangxing-mgr")
    answers = [client.post(f"/api/v1/offerings/{offering.id}/enrolments", json={"username": account}, headers=headers)
               for account in ("changqing-mgr", "nobody-at-all")]
    assert [a.status_code for a in answers] == [422, 422]
    assert answers[0].get_json()["errors"][0]["message"] == "找不到账号：changqing-mgr"
    assert services.roster(offering) == []
