"""The academy speaks English when the user switches language."""
import pathlib

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from .conftest import login

_catalog = pathlib.Path(__file__).resolve().parents[1] / "translations/en/LC_MESSAGES"
if not (_catalog / "messages.mo").exists():  # `make` compiles it; a bare pytest run may not have
    with open(_catalog / "messages.po", "rb") as po, open(_catalog / "messages.mo", "wb") as mo:
        write_mo(mo, read_po(po))


def test_the_catalogue_offering_and_my_learning_follow_the_language(client, make_offering, users):
    offering = make_offering(capacity=2)
    login(client, "trainee-wang")
    client.get("/lang/en")
    catalogue = client.get("/academy/courses").get_data(as_text=True)
    assert "Community Governance Academy · Course catalogue" in catalogue and "All categories" in catalogue
    assert "课程目录" not in catalogue and ">My learning<" in catalogue  # the navigation too
    response = client.post(f"/academy/offerings/{offering.id}/enrol")
    page = client.get(response.location).get_data(as_text=True)
    assert "You are enrolled!" in page and "Your status: <strong>Enrolled</strong>" in page
    assert "Sessions" in page and "课次安排" not in page and "报名成功" not in page
    my = client.get("/academy/my").get_data(as_text=True)
    assert "Total hours" in my and "累计学时" not in my
    client.get("/lang/zh")
    assert "课次安排" in client.get(f"/academy/offerings/{offering.id}").get_data(as_text=True)
    assert "课程目录" in client.get("/academy/courses").get_data(as_text=True)


def test_the_roster_speaks_english_to_a_manager(client, make_offering):
    offering = make_offering(started=True)
    login(client, "fangxing-mgr")
    client.get("/lang/en")
    roster = client.get(f"/academy/manage/{offering.id}").get_data(as_text=True)
    assert "Sessions and attendance" in roster and "Print sign-in sheets" in roster and "课次与考勤" not in roster
    assert "Enrol a trainee" in roster and "{{" not in roster  # no template markup leaks into attributes
    client.get("/lang/zh")
    assert "课次与考勤" in client.get(f"/academy/manage/{offering.id}").get_data(as_text=True)
