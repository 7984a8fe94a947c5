"""The district administrator: parks (the 1+N tree, no cycles), users (roles, parks, deactivation),
and where each plugin is enabled (which changes what runs for a park)."""
import pytest

from incubator.extensions import db
from incubator.parks.models import Park
from incubator.plugins import registry
from incubator.users.models import User

from .helpers import count_rows, page_text


def park_form(**fields):
    data = {"code": "binhu-xincheng", "name": "滨湖新城社区孵化点", "level": "community", "parent_id": 0,
            "address": "滨湖新城", "area_m2": 260, "description": ""}
    data.update(fields)
    return data


# -- parks ---------------------------------------------------------------------------------------------

def test_admin_adds_a_community_point_under_a_street(parks, client, login_as):
    login_as("admin")
    response = client.post("/admin/parks/new", data=park_form(parent_id=parks["wannianbu"].id))
    assert response.status_code == 302
    park = Park.query.filter_by(code="binhu-xincheng").one()
    assert park.parent.code == "wannianbu" and park.area_m2 == 260
    tree = page_text(client.get("/admin/parks")).split("<table", 1)[1]
    assert tree.index("万年埠街道社会组织孵化园") < tree.index("滨湖新城社区孵化点") < tree.index("滨湖世纪社区")
    directory = page_text(client.get("/parks"))
    assert "共 10 个园区" in directory and "8,260" in directory


def test_admin_edits_a_park(parks, client, login_as):
    login_as("admin")
    form = page_text(client.get(f"/admin/parks/{parks['fangxing'].id}"))
    assert 'value="fangxing"' in form
    response = client.post(f"/admin/parks/{parks['fangxing'].id}",
                           data=park_form(code="fangxing", name="方兴社区社会组织孵化基地（新址）",
                                          parent_id=parks["district"].id, area_m2=900))
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Park, parks["fangxing"].id).name == "方兴社区社会组织孵化基地（新址）"


@pytest.mark.parametrize("child", ["wannianbu", "yunhua"])
def test_a_park_cannot_be_placed_under_itself_or_its_own_children(child, parks, client, login_as):
    login_as("admin")
    target = parks["wannianbu"]
    response = client.post(f"/admin/parks/{target.id}", data=park_form(
        code="wannianbu", name=target.name, level="street", parent_id=parks[child].id))
    assert response.status_code == 200
    html = page_text(response)
    assert "上级园区不能是本园区或其下级" in html or "不是有效的选择" in html
    db.session.expire_all()
    assert db.session.get(Park, target.id).parent.code == "district"


@pytest.mark.parametrize("fields, message", [
    ({"code": "fangxing"}, "该园区代码已存在"),
    ({"code": "Bad Code!"}, "代码只能包含小写字母、数字和连字符"),
    ({"name": ""}, "该字段是必填字段"),
    ({"area_m2": -5}, ""),
])
def test_bad_park_data_is_explained_and_not_saved(fields, message, network, client, login_as):
    login_as("admin")
    before = count_rows(Park)
    response = client.post("/admin/parks/new", data=park_form(**fields))
    assert response.status_code == 200
    assert message in page_text(response)
    assert count_rows(Park) == before


# -- users ---------------------------------------------------------------------------------------------

def user_form(**fields):
    data = {"username": "binhu-mgr", "name": "滨湖管理员", "phone": "13900001111", "role": "manager",
            "password": "a-long-password", "active": "y"}
    data.update(fields)
    return data


def test_admin_creates_a_manager_who_sees_only_their_park(parks, make_org, client, login_as):
    make_org(park="binhu-shiji", name="滨湖世纪的组织")
    make_org(park="fangxing", name="方兴的组织")
    login_as("admin")
    response = client.post("/admin/users/new", data=user_form(parks=[parks["binhu-shiji"].id]))
    assert response.status_code == 302
    user = User.query.filter_by(username="binhu-mgr").one()
    assert user.role == "manager" and [p.code for p in user.parks] == ["binhu-shiji"]
    assert "a-long-password" not in user.password_hash
    assert "binhu-mgr" in page_text(client.get("/admin/users"))

    client.post("/logout")
    client.post("/login", data={"username": "binhu-mgr", "password": "a-long-password"})
    html = page_text(client.get("/orgs"))
    assert "滨湖世纪的组织" in html and "方兴的组织" not in html


@pytest.mark.parametrize("fields, message", [
    ({"parks": []}, "园区管理员至少要管理一个园区"),
    ({"username": "admin"}, "用户名已被使用"),
    ({"username": "a b"}, "用户名为3–80位字母、数字或 _.@-"),
    ({"password": "short"}, ""),
    ({"password": ""}, "密码至少8位"),
    ({"phone": "12"}, "请填写有效的手机号或固定电话"),
])
def test_bad_user_data_is_explained_and_not_saved(fields, message, parks, client, login_as):
    login_as("admin")
    before = count_rows(User)
    data = user_form(**fields)
    data.setdefault("parks", [parks["fangxing"].id])
    if not data["parks"]:
        del data["parks"]
    response = client.post("/admin/users/new", data=data)
    assert response.status_code == 200
    assert message in page_text(response)
    assert count_rows(User) == before


def test_admin_changes_a_managers_parks(users, parks, make_org, client, login_as):
    org = make_org(park="changqing")
    target = users["fangxing-mgr"]
    login_as("admin")
    response = client.post(f"/admin/users/{target.id}", data=user_form(
        username="fangxing-mgr", password="", parks=[parks["fangxing"].id, parks["changqing"].id]))
    assert response.status_code == 302
    login_as("fangxing-mgr")  # the old password still works: an empty password field changes nothing
    assert client.get(f"/orgs/{org.id}").status_code == 200


def test_a_deactivated_user_cannot_log_in_and_is_logged_out(users, client, app, login_as):
    other = app.test_client()
    other.post("/login", data={"username": "changqing-mgr", "password": "demo12345"})
    assert other.get("/dashboard").status_code == 200

    target = users["changqing-mgr"]
    login_as("admin")
    response = client.post(f"/admin/users/{target.id}", data=user_form(
        username="changqing-mgr", password="", parks=[target.parks[0].id], active=""))
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, target.id).active is False

    response = app.test_client().post("/login", data={"username": "changqing-mgr", "password": "demo12345"})
    assert response.status_code == 200 and "用户名或密码错误" in page_text(response)
    # The session they already had no longer lets them in.
    response = other.get("/dashboard")
    assert response.status_code == 302 and "/login" in response.location


def test_the_admin_cannot_lock_themselves_out(users, client, login_as):
    me = users["admin"]
    login_as("admin")
    response = client.post(f"/admin/users/{me.id}", data=user_form(username="admin", role="admin", password="",
                                                                   active=""))
    assert response.status_code == 200 and "不能停用自己" in page_text(response)
    db.session.expire_all()
    assert db.session.get(User, me.id).active is True


def test_unknown_admin_records_are_404(client, login_as):
    login_as("admin")
    for url in ("/admin/parks/99999", "/admin/users/99999", "/admin/plugins/no-such-plugin"):
        assert client.get(url).status_code == 404, url


def test_managers_cannot_change_parks_or_users(parks, users, client, login_as):
    login_as("fangxing-mgr")
    assert client.post("/admin/parks/new", data=park_form()).status_code == 403
    assert client.post(f"/admin/users/{users['fangxing-mgr'].id}",
                       data=user_form(username="fangxing-mgr", role="admin")).status_code == 403
    assert client.post("/admin/plugins/checklist", data={"scope": "none"}).status_code == 403
    db.session.expire_all()
    assert count_rows(Park) == 9 and db.session.get(User, users["fangxing-mgr"].id).role == "manager"


# -- plugin enablement ------------------------------------------------------------------------------------

@pytest.fixture
def checklist(network):
    if "checklist" not in {info.name for info in registry().loaded()}:
        pytest.skip("the checklist plugin is disabled")


def checklist_runs_for(client, org_id):
    """The checklist's panel shows on the organization page, and its veto blocks graduation."""
    panel = "出壳必需" in page_text(client.get(f"/orgs/{org_id}"))
    vetoed = client.post(f"/api/v1/organizations/{org_id}/transitions", json={"to_stage": "graduated"},
                         headers=client.api_headers)
    return panel, any("登记证书" in e["message"] for e in vetoed.get_json().get("errors", []))


@pytest.mark.parametrize("scope, chosen, runs_in", [
    ("all", [], {"fangxing", "changqing"}),
    ("parks", ["changqing"], {"changqing"}),
    ("parks", ["fangxing", "changqing"], {"fangxing", "changqing"}),
    ("none", [], set()),
])
def test_plugin_enablement_decides_which_parks_run_its_hooks(scope, chosen, runs_in, checklist, parks, make_org,
                                                              client, login_as, api):
    orgs = {code: make_org(park=code, stage="incubating").id for code in ("fangxing", "changqing")}
    client.api_headers = api("admin")
    login_as("admin")
    response = client.post("/admin/plugins/checklist", data={"scope": scope, "parks": [parks[c].id for c in chosen]})
    assert response.status_code == 302
    html = page_text(client.get("/admin/plugins"))
    assert "checklist" in html and "entry point plugins.checklist" in html

    for code, org_id in orgs.items():
        panel, vetoed = checklist_runs_for(client, org_id)
        assert panel == (code in runs_in), code
        if code in runs_in:
            assert vetoed, code


def test_choosing_parks_without_any_park_is_refused(checklist, client, login_as):
    login_as("admin")
    response = client.post("/admin/plugins/checklist", data={"scope": "parks"})
    assert response.status_code == 200 and "请至少选择一个园区" in page_text(response)


def test_saving_the_plugin_form_with_no_park_ticked_is_fine(checklist, client, login_as):
    login_as("admin")
    response = client.post("/admin/plugins/checklist", data={"scope": "all"})  # no "parks" field at all
    assert response.status_code == 302
    assert client.post("/admin/plugins/checklist", data={}).status_code == 302


# -- the pages in users' words ----------------------------------------------------------------------------

FIRST_PARTY_TITLES = {"checklist": "材料清单", "mentoring": "督导记录", "assessment": "能力评估", "certificates": "证书",
                      "passport": "义粉护照", "microgrant": "公益微创投", "enrolment": "社区治理学院"}


def test_the_plugin_list_names_each_plugin_in_chinese_with_one_line_on_what_it_does(client, login_as):
    login_as("admin")
    html = page_text(client.get("/admin/plugins"))
    loaded = {info.name: info for info in registry().loaded()}
    for name, title in FIRST_PARTY_TITLES.items():
        if name in loaded:
            assert f"<strong>{title}</strong>" in html, name
            assert str(loaded[name].description) in html, name
    assert "出壳前须提交的材料" in html or "checklist" not in loaded
    # entry points and hook names only under the folded 技术信息
    body = html.split("<tbody", 1)[1]
    for row in body.split("<tr")[1:]:
        visible = row.split("<details", 1)[0]
        assert "entry point" not in visible and "incubator_" not in visible
    assert "<summary>技术信息</summary>" in html
    assert 'data-label="状态"' in html and "table-stack" in html


def test_a_plugin_without_a_title_is_shown_by_its_name(client, login_as):
    from incubator.plugins import PluginInfo
    info = PluginInfo("street_notice", "file /srv/street_notice.py")
    assert info.display_title == "street_notice" and info.display_description == ""


def test_the_plugin_page_shows_the_title_and_description_and_park_boxes(parks, checklist, client, login_as):
    login_as("admin")
    html = page_text(client.get("/admin/plugins/checklist"))
    assert "<h1 class=\"h3\">材料清单</h1>" in html and "出壳前须提交的材料" in html
    assert f'type="checkbox" value="{parks["binhu-shiji"].id}"' in html
    assert "<summary>技术信息</summary>" in html and "entry point plugins.checklist" in html


def test_enabling_a_plugin_for_one_park_is_logged_in_words(parks, checklist, client, login_as):
    login_as("admin")
    client.post("/admin/plugins/checklist", data={"scope": "parks", "parks": [parks["binhu-shiji"].id]})
    html = page_text(client.get("/admin/audit")).split("<tbody", 1)[1]
    assert "插件启用范围变更" in html and "材料清单：滨湖世纪社区" in html
    assert '<a href="/admin/plugins/checklist">材料清单</a>' in html


def test_the_users_list_is_cards_on_a_phone(users, client, login_as):
    login_as("admin")
    html = page_text(client.get("/admin/users"))
    assert "table-stack" in html
    for label in ("用户名", "姓名", "角色", "园区", "状态"):
        assert f'data-label="{label}"' in html
    assert f'href="/admin/users/{users["changqing-mgr"].id}"' in html


def test_the_users_search_takes_percent_and_underscore_literally(users, client, login_as):
    login_as("admin")
    assert "changqing-mgr" not in page_text(client.get("/admin/users?q=%25")).split("<tbody", 1)[1]
    assert "changqing-mgr" in page_text(client.get("/admin/users?q=CHANGQING")).split("<tbody", 1)[1]


def test_the_plugin_list_speaks_english_when_asked(checklist, client, login_as):
    login_as("admin")
    client.get("/lang/en")
    html = page_text(client.get("/admin/plugins"))
    assert "Document checklist" in html and "registration or filing certificate is on file" in html
    assert "Technical details" in html and "材料清单" not in html
    client.get("/lang/zh")
