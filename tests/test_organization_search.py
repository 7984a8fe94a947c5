"""The organizations' search index (issue 14): what a search finds, and the index kept in step with
every way organizations are written — the forms, the import's Core INSERTs, a merge, a deletion — and
built for the organizations already there by its migration."""
import pytest
from sqlalchemy import select

from incubator.extensions import db
from incubator.imports import importer_for
from incubator.imports.reading import read_table
from incubator.organizations import merging, search_index, services
from incubator.organizations.models import Organization
from incubator.validators import make_uscc
from tests.helpers import page_text
from tests.import_samples import as_csv, district_rows

USCC = make_uscc("52340111MJB123456")


def found(q, **filters):
    stmt = services.list_query(q=q, **filters)
    return sorted(org.name for org in db.session.scalars(stmt))


def index_is_in_step():
    """The index holds exactly the pieces and the text of every organization as it is now."""
    stored = {}
    for term, org_id in db.session.execute(select(search_index.terms.c.term, search_index.terms.c.organization_id)):
        stored.setdefault(org_id, set()).add(term)
    texts = dict(db.session.execute(select(search_index.texts.c.organization_id, search_index.texts.c.text)).all())
    orgs = db.session.scalars(select(Organization)).all()
    return (stored == {org.id: search_index.terms_of(org.name, org.name_initials) for org in orgs}
            and texts == {org.id: search_index.text_of(org.name, org.name_initials) for org in orgs})


@pytest.fixture
def named(make_org):
    make_org(name="包河社工服务中心", uscc=USCC)
    make_org(name="社工工社")  # both pieces of 社工社, but not 社工社 itself
    make_org(name="方兴为老服务社")
    make_org(name="Ａｂｃ亲子（文化）协会")  # full-width letters and brackets, as typed on a phone


@pytest.mark.parametrize("q, expected", [
    ("社", ["包河社工服务中心", "方兴为老服务社", "社工工社"]),
    ("社工", ["包河社工服务中心", "社工工社"]),
    ("社工服务", ["包河社工服务中心"]),
    ("社工社", []),
    ("bhsg", ["包河社工服务中心"]), ("BHSG", ["包河社工服务中心"]), ("ｂｈｓｇ", ["包河社工服务中心"]),
    ("fxwl", ["方兴为老服务社"]),
    (USCC, ["包河社工服务中心"]), (USCC[:12].lower(), ["包河社工服务中心"]), (USCC[4:12], []),
    ("abc", ["Ａｂｃ亲子（文化）协会"]), ("(文化)", ["Ａｂｃ亲子（文化）协会"]), ("亲子 文化", []),
    ("没有的名字", []), ("\x00", []),
])
def test_a_search_finds_what_contains_it(named, q, expected):
    assert found(q) == expected


def test_other_filters_still_narrow_a_search(named, make_org, parks):
    make_org(park="changqing", name="常青社工站")
    assert found("社工", park_ids=[parks["changqing"].id]) == ["常青社工站"]


def test_a_renamed_organization_is_found_by_its_new_name_only(make_org, users):
    org = make_org(name="包河社工服务中心")
    services.edit(org, {"name": "常青为老服务社", "category": org.category, "contact_name": org.contact_name,
                        "contact_phone": org.contact_phone}, user=users["admin"])
    assert found("社工") == [] and found("cqwl") == ["常青为老服务社"]
    assert index_is_in_step()


def test_imported_organizations_are_found(network):
    importer = importer_for("organizations")
    plan = importer.plan(read_table("组织.csv", as_csv(district_rows(30))), user=None,
                         parks=importer.parks_for(None), default_park=None)
    importer.carry_out(plan, user=None, source="组织.csv")
    first = district_rows(1)[1][0]
    assert first in found(first[:2]) and first in found(first)
    assert index_is_in_step()


def test_a_merged_organization_leaves_the_index(make_org, users):
    kept = make_org(name="方兴邻里互助会")
    gone = make_org(name="方兴邻里互助会（筹）", uscc=USCC)
    merging.merge(kept, gone, user=users["admin"])
    assert found("筹") == [] and found(USCC) == ["方兴邻里互助会"]  # the kept one took the USCC
    assert found("方兴邻里") == ["方兴邻里互助会"]
    assert index_is_in_step()


def test_a_deleted_organization_leaves_the_index(make_org):
    org = make_org(name="包河社工服务中心")
    db.session.delete(org)
    db.session.commit()
    assert found("社工") == [] and index_is_in_step()


def test_rebuild_makes_the_index_anew(named):
    db.session.execute(search_index.terms.delete())
    assert found("社工") == []
    assert search_index.rebuild() == 4
    assert found("社工") == ["包河社工服务中心", "社工工社"] and index_is_in_step()


def test_a_search_matching_more_than_the_count_limit_says_more_than(make_org, monkeypatch, client, login_as, api):
    monkeypatch.setattr(services, "COUNT_LIMIT", 3)
    for n in range(5):
        make_org(park="fangxing", name=f"方兴社工站{n}")
    login_as("fangxing-mgr")
    html = page_text(client.get("/orgs?q=社工"))
    assert "超过 3 条，请缩小查询范围" in html and "方兴社工站4" in html
    assert "共 5 条" in page_text(client.get("/orgs"))  # without a search: the exact count
    page = client.get("/api/v1/organizations?q=社工&per_page=2", headers=api("admin")).get_json()
    assert (page["total"], page["total_is_exact"], len(page["items"])) == (3, False, 2)
    page = client.get("/api/v1/organizations?q=方兴社工站4", headers=api("admin")).get_json()
    assert (page["total"], page["total_is_exact"]) == (1, True)
