"""The audit log (/admin/audit) in the administrator's words: when, who, what (a Chinese label per
action, plugins' too), and the record by its name with a link; searched in Chinese, by dates in the
district's days, by kind of action, logins hidden unless asked for; exported to Excel."""
from datetime import datetime
from io import BytesIO

import pytest
from openpyxl import load_workbook

from incubator.audit.labels import CORE_ACTIONS
from incubator.audit.models import AuditEntry
from incubator.extensions import db
from incubator.organizations import services as orgs
from incubator.plugins import registry
from incubator.testing import counting_queries

from .helpers import page_text


def rows_of(response) -> str:
    """The table's rows only (the filter's <select> names every action)."""
    html = page_text(response)
    return html.split("<tbody", 1)[1].split("</tbody>", 1)[0] if "<tbody" in html else ""


def entry(action, *, summary="", user=None, when=None, object_type="", object_id="", **details):
    row = AuditEntry(action=action, summary=summary, user_id=getattr(user, "id", None), object_type=object_type,
                     object_id=str(object_id), details=details, ip="")
    if when is not None:
        row.created_at = when
    db.session.add(row)
    db.session.commit()
    return row


def test_each_row_says_when_who_what_and_names_the_organization(make_org, users, client, login_as):
    org = make_org(park="fangxing", stage="reviewing", name="方兴邻里互助会")
    admin = users["admin"]
    admin.name = "区管理员"
    db.session.commit()
    orgs.move(org, "incubating", user=admin, note="评审通过")
    login_as("admin")
    rows = rows_of(client.get("/admin/audit"))
    assert "组织阶段变更" in rows and 'title="org.transition"' in rows
    assert f'<a href="/orgs/{org.id}">方兴邻里互助会</a>' in rows
    assert "区管理员（admin）" in rows
    assert "年" in rows and "月" in rows and "日" in rows  # the datetime filter's one date style
    assert "Organization " not in rows and f"Organization {org.id}" not in rows


def test_a_user_record_is_named_and_links_to_the_users_page(parks, users, client, login_as):
    login_as("admin")
    client.post("/admin/users/new", data={"username": "binhu-mgr", "name": "滨湖管理员", "role": "manager",
                                          "parks": [parks["binhu-shiji"].id], "password": "river-park-2026",
                                          "active": "y"})
    new = db.session.scalar(db.select(AuditEntry).filter_by(action="user.create"))
    rows = rows_of(client.get("/admin/audit"))
    assert "新建用户" in rows
    assert f'<a href="/admin/users/{new.object_id}">滨湖管理员（binhu-mgr）</a>' in rows


def test_a_plugins_actions_are_in_its_own_words(make_org, users, client, login_as):
    if "checklist" not in {info.name for info in registry().loaded()}:
        pytest.skip("the checklist plugin is disabled")
    info = registry().infos["checklist"]
    assert info.audit_actions["checklist.record"] == "登记收到的材料"
    org = make_org(park="fangxing", stage="incubating", name="方兴邻里互助会")
    entry("checklist.record", summary="登记证书", user=users["fangxing-mgr"], object_type="Organization",
          object_id=org.id)
    entry("street.unknown_thing", summary="某街道插件的记录", user=users["admin"], object_type="Notice", object_id=3)
    login_as("admin")
    response = client.get("/admin/audit")
    rows = rows_of(response)
    assert "登记收到的材料" in rows and f'<a href="/orgs/{org.id}">方兴邻里互助会</a>' in rows
    assert "street.unknown_thing" in rows  # nobody labelled it: the key as it is
    assert '<optgroup label="材料清单">' in page_text(response)


def test_a_plugins_record_of_an_organization_links_the_organization(make_org, users, client, login_as):
    org = make_org(park="fangxing", stage="incubating", name="方兴邻里互助会")
    entry("mentoring.log", summary="2026-03-01 2小时", user=users["expert-li"], object_type="SupervisionLog",
          object_id=7, organization_id=org.id)
    login_as("admin")
    assert f'<a href="/orgs/{org.id}">方兴邻里互助会</a>' in rows_of(client.get("/admin/audit"))


def action_keys(folder) -> set[str]:
    """The literal keys passed to audit.record under `folder` (both of `"a" if … else "b"`)."""
    import re
    keys = set()
    for path in folder.rglob("*.py"):
        if "tests" in path.parts:
            continue
        for call in re.finditer(r'audit\.record\(\s*("[^"]*"(?:\s+if\s+[^,]*?\s+else\s+"[^"]*")?)', path.read_text(encoding="utf-8")):
            keys.update(re.findall(r'"([a-z_]+\.[a-z_.]+)"', call.group(1)))
    return keys


def test_every_core_action_key_written_anywhere_has_a_label():
    from pathlib import Path
    keys = action_keys(Path(__file__).resolve().parent.parent / "incubator")
    assert {"org.transition", "user.login", "user.password_reset"} <= keys
    assert keys <= set(CORE_ACTIONS), keys - set(CORE_ACTIONS)


def test_first_party_plugins_label_every_action_they_record():
    import importlib
    from pathlib import Path
    root = Path(__file__).resolve().parent.parent / "plugins"
    missing, checked = [], 0
    for init in sorted(root.glob("*/__init__.py")):
        name = init.parent.name
        try:
            module = importlib.import_module(f"plugins.{name}")
        except ImportError:  # a plugin's optional dependency is missing: its own tests say so
            continue
        labels = getattr(module, "INCUBATOR_AUDIT_ACTIONS", {})
        keys = action_keys(init.parent)
        checked += bool(keys)
        missing += [f"{name}: {key}" for key in sorted(keys) if key not in labels]
    assert checked >= 7 and not missing, missing


# -- finding entries ----------------------------------------------------------------------------------------

def test_search_in_chinese_finds_by_person_object_or_summary(make_org, users, client, login_as):
    org = make_org(park="fangxing", name="方兴邻里互助会")
    users["expert-li"].name = "李督导"
    db.session.commit()
    entry("org.edit", summary="", user=users["admin"], object_type="Organization", object_id=org.id)  # name not in summary
    entry("park.edit", summary="包公街道孵化基地", user=users["expert-li"])
    entry("user.edit", summary="", user=users["admin"], object_type="User", object_id=users["trainee-chen"].id)
    entry("org.renew", summary="50%_折扣 的说明", user=users["admin"])
    login_as("admin")

    def found(q):
        return rows_of(client.get("/admin/audit", query_string={"q": q}))
    assert "方兴邻里互助会" in found("邻里互助") and "包公街道" not in found("邻里互助")
    assert "包公街道孵化基地" in found("李督导") and "方兴邻里互助会" not in found("李督导")
    assert "包公街道孵化基地" in found("孵化基地")
    assert "trainee-chen" in found("trainee-chen")
    # % and _ are letters here, not wildcards
    assert "50%_折扣" in found("%_") and found("%_").count("<tr") == 1
    assert found("没有这样的字") == ""


def test_dates_are_the_districts_days(users, client, login_as):
    # 2026-01-01 17:30 UTC is 2 January 01:30 in the district (UTC+8).
    entry("park.edit", summary="跨夜的修改", user=users["admin"], when=datetime(2026, 1, 1, 17, 30))
    entry("park.edit", summary="前一天的修改", user=users["admin"], when=datetime(2026, 1, 1, 3, 0))
    login_as("admin")

    def found(**dates):
        return rows_of(client.get("/admin/audit", query_string=dates))
    assert "跨夜的修改" in found(date_from="2026-01-02", date_to="2026-01-02")
    assert "前一天的修改" not in found(date_from="2026-01-02")
    assert "前一天的修改" in found(date_to="2026-01-01") and "跨夜的修改" not in found(date_to="2026-01-01")
    assert "2026年1月2日 01:30" in found(date_from="2026-01-02")


def test_odd_dates_are_explained_not_a_crash(users, client, login_as):
    entry("park.edit", summary="某次修改", user=users["admin"])
    login_as("admin")
    response = client.get("/admin/audit", query_string={"date_from": "2026-02-30", "date_to": "x"})
    assert response.status_code == 200 and "某次修改" in rows_of(response)
    backwards = client.get("/admin/audit", query_string={"date_from": "2026-03-01", "date_to": "2026-02-01"})
    assert backwards.status_code == 200 and "结束日期早于开始日期" in page_text(backwards)
    export = client.get("/admin/audit/export", query_string={"date_from": "nonsense"})
    assert export.status_code == 200


def test_logins_are_hidden_until_asked_for(users, client, login_as):
    login_as("changqing-mgr")
    login_as("admin")
    entry("park.edit", summary="一次修改", user=users["admin"])
    first = rows_of(client.get("/admin/audit"))
    assert "一次修改" in first and 'title="user.login"' not in first
    import re
    box = re.search(r'<input[^>]*id="hide_logins"[^>]*>', page_text(client.get("/admin/audit"))).group(0)
    assert "checked" in box  # ticked on a first visit
    shown = rows_of(client.get("/admin/audit", query_string={"filtered": "1"}))  # the box unticked
    assert 'title="user.login"' in shown and "changqing-mgr" in shown
    hidden = rows_of(client.get("/admin/audit", query_string={"filtered": "1", "hide_logins": "y"}))
    assert 'title="user.login"' not in hidden
    only = rows_of(client.get("/admin/audit", query_string={"action": "user.login"}))
    assert 'title="user.login"' in only and "一次修改" not in only


def test_filter_by_kind_of_action(make_org, users, client, login_as):
    org = make_org(park="fangxing", stage="reviewing")
    orgs.move(org, "incubating", user=users["admin"])
    entry("park.edit", summary="园区改名", user=users["admin"])
    login_as("admin")
    page = page_text(client.get("/admin/audit"))
    assert '<option value="org.transition"' in page and "组织阶段变更</option>" in page
    moved = rows_of(client.get("/admin/audit", query_string={"action": "org.transition"}))
    assert "组织阶段变更" in moved and "园区改名" not in moved
    assert "园区改名" in rows_of(client.get("/admin/audit", query_string={"action": "park."}))


def test_the_log_is_paginated_with_a_bounded_number_of_queries(make_org, users, client, login_as):
    org = make_org(park="fangxing", name="方兴邻里互助会")
    login_as("admin")

    def add(n):
        db.session.add_all([AuditEntry(action="org.edit", summary="计数", user_id=users["fangxing-mgr"].id,
                                       object_type="Organization", object_id=str(org.id), details={}, ip="")
                            for _ in range(n)])
        db.session.add_all([AuditEntry(action="user.edit", summary="计数", user_id=users["admin"].id,
                                       object_type="User", object_id=str(users["expert-li"].id), details={}, ip="")
                            for _ in range(n)])
        db.session.commit()

    def statements(url):
        client.get(url)
        with counting_queries(db.engine) as counter:
            assert client.get(url).status_code == 200
        return counter.n
    add(3)
    small = statements("/admin/audit?q=计数")
    add(60)
    assert statements("/admin/audit?q=计数") <= small
    page_two = rows_of(client.get("/admin/audit?q=计数&page=2"))
    assert page_two.count("<tr") > 0 and "共 126 条" in page_text(client.get("/admin/audit?q=计数"))


# -- the Excel export --------------------------------------------------------------------------------------

def test_the_export_holds_the_filtered_log_with_chinese_headers(make_org, users, client, login_as):
    org = make_org(park="fangxing", stage="reviewing", name="方兴邻里互助会")
    orgs.move(org, "incubating", user=users["admin"])
    entry("park.edit", summary="=HYPERLINK(\"http://evil\")", user=users["admin"])
    login_as("admin")
    page = page_text(client.get("/admin/audit", query_string={"q": "邻里"}))
    assert 'href="/admin/audit/export?q=' in page

    response = client.get("/admin/audit/export", query_string={"q": "邻里"})
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
    sheet = load_workbook(BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("时间", "操作人", "操作", "对象", "摘要", "操作键", "IP")
    assert len(rows) == 3  # the org's creation and its move: the search applies
    moved = next(r for r in rows[1:] if r[5] == "org.transition")
    assert moved[2] == "组织阶段变更" and moved[3] == "方兴邻里互助会"
    assert moved[1] == f"{users['admin'].name}（admin）"
    assert isinstance(moved[0], datetime)

    everything = load_workbook(BytesIO(client.get("/admin/audit/export").data)).active
    summaries = [r[4] for r in everything.iter_rows(values_only=True)]
    assert "'=HYPERLINK(\"http://evil\")" in summaries  # a formula is never executed


def test_only_the_administrator_reads_or_exports_the_log(client, login_as):
    login_as("fangxing-mgr")
    assert client.get("/admin/audit").status_code == 403
    assert client.get("/admin/audit/export").status_code == 403


def test_the_log_speaks_english_when_asked(make_org, users, client, login_as):
    org = make_org(park="fangxing", stage="reviewing")
    orgs.move(org, "incubating", user=users["admin"])
    login_as("admin")
    client.get("/lang/en")
    rows = rows_of(client.get("/admin/audit"))
    assert "Organization stage changed" in rows and "组织阶段变更" not in rows
    client.get("/lang/zh")
