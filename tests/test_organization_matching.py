"""Recognising an organization we already have (重复识别): the normalized name, and the matches by
USCC, by name and phone, and by name alone."""
from sqlalchemy import event

from incubator.extensions import db
from incubator.organizations.matching import Match, find_matches, normalized_name
from incubator.validators import make_uscc

USCC = make_uscc("91340100MA2N0X0Q1")


# -- the normalized name -----------------------------------------------------------------------------

def test_full_width_case_spaces_and_punctuation_do_not_count():
    assert normalized_name("ＡＢＣ　社工·服务 中心") == normalized_name("abc社工服务中心") == "abc社工服务中心"
    assert normalized_name(" 包河区“乐龄”互助会。") == "包河区乐龄互助会"
    assert normalized_name("Ｂinhu\tSocial\nWork") == "binhusocialwork"


def test_the_company_suffixes_are_one():
    one = normalized_name("合肥启明社工服务有限责任公司")
    assert one == normalized_name("合肥启明社工服务有限公司") == normalized_name("合肥启明社工服务公司")
    assert one == "合肥启明社工服务公司"
    assert normalized_name("有限公司研究会") == "有限公司研究会"  # only a suffix is a legal form


def test_a_preparatory_mark_at_the_end_is_dropped():
    assert normalized_name("滨湖乐龄互助会（筹）") == normalized_name("滨湖乐龄互助会(筹)") == "滨湖乐龄互助会"
    assert normalized_name("滨湖乐龄互助会 （ 筹 ）") == "滨湖乐龄互助会"
    assert normalized_name("统筹发展促进会") == "统筹发展促进会"  # a 筹 in the name stays


def test_an_empty_name_is_empty():
    assert normalized_name(None) == normalized_name("") == normalized_name("　 ，") == ""


# -- the matches -----------------------------------------------------------------------------------

def test_the_same_uscc_matches_first_whatever_the_name(make_org):
    org = make_org(name="完全不同的名字", uscc=USCC)
    by_name = make_org(name="滨湖乐龄互助会", contact_phone="13900000000")
    matches = find_matches("滨湖乐龄互助会", USCC.lower(), "13912345678")
    assert matches == [Match(org, "uscc"), Match(by_name, "name")]


def test_the_same_name_and_phone_is_stronger_than_the_name_alone(make_org):
    name_only = make_org(name="滨湖乐龄互助会", contact_phone="13900000000", park="district")
    with_phone = make_org(name="滨湖 乐龄互助会（筹）", contact_phone="139 1234 5678", park="fangxing")
    make_org(name="滨湖乐龄互助会二队", contact_phone="13912345678")
    matches = find_matches("滨湖乐龄互助会", None, "13912345678")
    assert [(m.organization.id, m.reason) for m in matches] == [(with_phone.id, "name_phone"),
                                                               (name_only.id, "name")]


def test_names_match_across_parks_with_the_given_park_first(make_org, parks):
    elsewhere = make_org(name="启明社工服务有限公司", park="district")
    here = make_org(name="启明社工服务有限责任公司", park="fangxing")
    assert [m.organization for m in find_matches("启明社工服务公司", "", "")] == [elsewhere, here]
    assert [m.organization for m in find_matches("启明社工服务公司", "", "", park=parks["fangxing"])] == [
        here, elsewhere]


def test_full_width_latin_letters_match_either_way(make_org):
    stored_full = make_org(name="ＡＢＣ社工服务中心")
    stored_half = make_org(name="abc社工服务中心")
    found = {m.organization.id for m in find_matches("Abc 社工服务中心", None, None)}
    assert found == {stored_full.id, stored_half.id}
    found = {m.organization.id for m in find_matches("ａｂｃ社工服务中心", None, None)}
    assert found == {stored_full.id, stored_half.id}


def test_nothing_matches_a_new_organization(make_org):
    make_org(name="滨湖乐龄互助会", uscc=USCC)
    assert find_matches("方兴社区志愿者协会", make_uscc("91340100MA2N0X0Q2"), "13912345678") == []
    assert find_matches("", None, "13912345678") == []


def test_matching_reads_a_short_list_not_the_district(app, make_org):
    for n in range(30):
        make_org(name=f"社区服务队{n}")
    make_org(name="滨湖乐龄互助会")
    statements = []

    def count(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        matches = find_matches("滨湖乐龄互助会", USCC, "13912345678")
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert [m.organization.name for m in matches] == ["滨湖乐龄互助会"]
    assert len(statements) == 2  # one by USCC, one by the name's initials
    assert "name_initials IN" in statements[1]
