"""The micro-grant pages in English once a user switches language, and back in Chinese after."""
import pathlib
import subprocess
import sys

_dir = pathlib.Path(__file__).resolve().parents[1] / "translations"
subprocess.run([sys.executable, "-m", "babel.messages.frontend", "compile", "-d", str(_dir)], check=False)


def test_microgrant_pages_follow_the_chosen_language(login_as, client, make_round):
    rnd = make_round()
    login_as("wannianbu-mgr")
    client.get("/lang/en")
    page = client.get("/microgrant/").get_data(as_text=True)
    assert "Community Micro-grants" in page and "Open a new round" in page and "Total budget" in page
    assert "开设新一轮" not in page and "总预算" not in page
    page = client.get(f"/microgrant/rounds/{rnd.id}").get_data(as_text=True)
    assert "Remaining budget" in page and "Scoring criteria" in page and "剩余预算" not in page

    client.get("/lang/zh")
    page = client.get("/microgrant/").get_data(as_text=True)
    assert "开设新一轮" in page and "Open a new round" not in page
