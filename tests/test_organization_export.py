"""The organization list to Excel (导出Excel): the import's columns, real dates, the page's filters,
and only the parks a manager manages."""
from datetime import date, datetime
from io import BytesIO

from openpyxl import load_workbook
from sqlalchemy import event

from incubator.extensions import db
from incubator.organizations.models import Transition
from incubator.validators import make_uscc

HEADER = ["组织名称", "统一社会信用代码", "类别", "登记状态", "成立日期", "联系人", "联系电话", "服务区域", "园区",
          "阶段", "申请日期", "入园日期", "到期日期", "出壳日期", "退出日期"]
USCC = make_uscc("91340100MA2N0X0Q1")


def sheet_rows(response):
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(BytesIO(response.data)).worksheets[0]
    return sheet, [list(row) for row in sheet.iter_rows(values_only=True)]


def test_the_export_has_the_import_columns_and_real_dates(login_as, make_org):
    org = make_org(name="启明社工服务中心", park="fangxing", stage="graduated", uscc=USCC,
                   registration_status="registered", contact_phone="0551-63571234",
                   incubation_start=date(2023, 3, 15), incubation_due=date(2025, 3, 15))
    first = db.session.get(Transition, org.transitions[0].id)
    first.created_at = datetime(2023, 2, 28, 17, 30)  # UTC: already 1 March in Shanghai
    first.happened_on = date(2023, 3, 1)
    db.session.add(Transition(organization_id=org.id, from_stage="incubating", to_stage="graduated",
                              created_at=datetime(2025, 3, 10, 2, 0), happened_on=date(2025, 3, 10), note="出壳"))
    db.session.commit()
    client = login_as("admin")
    response = client.get("/orgs/export.xlsx")
    assert "attachment" in response.headers["Content-Disposition"]
    sheet, rows = sheet_rows(response)
    assert rows[0] == HEADER
    assert rows[1] == ["启明社工服务中心", USCC, "社工服务类", "已登记", None, "张芳", "0551-63571234", None,
                       "fangxing", "出壳", datetime(2023, 3, 1), datetime(2023, 3, 15), datetime(2025, 3, 15),
                       datetime(2025, 3, 10), None]
    for cell in sheet[2][10:14]:
        assert cell.is_date and cell.number_format == "yyyy-mm-dd"
    assert sheet["G2"].data_type == "s"  # the phone stays text


def test_an_application_has_no_incubation_dates(login_as, make_org):
    make_org(name="滨湖乐龄互助会", stage="applied")
    rows = sheet_rows(login_as("admin").get("/orgs/export.xlsx"))[1]
    assert rows[1][:1] == ["滨湖乐龄互助会"] and rows[1][9] == "申请"
    assert rows[1][1] is None and rows[1][11:] == [None, None, None, None]
    assert rows[1][10] is not None  # the application date


def test_the_page_filters_are_the_exports(login_as, make_org):
    make_org(name="方兴社工服务中心", park="fangxing", stage="incubating")
    make_org(name="方兴文体队", park="fangxing", stage="applied", category="文体类")
    make_org(name="常青社工服务中心", park="changqing", stage="incubating")
    client = login_as("admin")
    names = lambda url: sorted(row[0] for row in sheet_rows(client.get(url))[1][1:])  # noqa: E731
    assert names("/orgs/export.xlsx") == ["常青社工服务中心", "方兴文体队", "方兴社工服务中心"]
    assert names("/orgs/export.xlsx?stage=incubating") == ["常青社工服务中心", "方兴社工服务中心"]
    assert names("/orgs/export.xlsx?category=文体类") == ["方兴文体队"]
    assert names("/orgs/export.xlsx?q=常青") == ["常青社工服务中心"]


def test_a_manager_exports_only_their_parks(login_as, make_org, parks):
    make_org(name="方兴社工服务中心", park="fangxing")
    make_org(name="常青社工服务中心", park="changqing")
    client = login_as("fangxing-mgr")
    assert [row[0] for row in sheet_rows(client.get("/orgs/export.xlsx"))[1][1:]] == ["方兴社工服务中心"]
    # Asking for another park's organizations gives none of them.
    rows = sheet_rows(client.get(f"/orgs/export.xlsx?park={parks['changqing'].id}"))[1]
    assert rows == [HEADER]


def test_the_list_page_offers_the_export_with_its_filters(login_as, make_org):
    make_org()
    html = login_as("admin").get("/orgs?stage=applied&q=测试").get_data(as_text=True)
    assert "导出Excel" in html
    assert 'href="/orgs/export.xlsx?stage=applied&amp;q=' in html


def test_the_export_needs_a_login(client, network):
    response = client.get("/orgs/export.xlsx")
    assert response.status_code in (302, 401) and not response.data.startswith(b"PK")


def test_the_export_reads_a_fixed_number_of_queries(app, login_as, make_org):
    client = login_as("admin")
    for n in range(12):
        make_org(name=f"社区服务队{n}", stage="graduated" if n % 2 else "incubating")
    statements = []

    def count(conn, cursor, statement, *args):
        if "organizations" in statement or "transitions" in statement:
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        rows = sheet_rows(client.get("/orgs/export.xlsx"))[1]
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(rows) == 13
    assert len(statements) == 2, statements


def test_the_columns_stay_chinese_for_an_english_reader(login_as, make_org):
    make_org(name="滨湖乐龄互助会", stage="incubating", registration_status="filed")
    client = login_as("admin")
    client.get("/lang/en")
    rows = sheet_rows(client.get("/orgs/export.xlsx"))[1]
    assert rows[0] == HEADER  # the import reads these headers and labels, whatever the language
    assert rows[1][3] == "已备案" and rows[1][9] == "入园孵化"
