"""The passport pages in English once a user switches language, and back in Chinese after."""
import pathlib
import subprocess
import sys

_dir = pathlib.Path(__file__).resolve().parents[1] / "translations"
subprocess.run([sys.executable, "-m", "babel.messages.frontend", "compile", "-d", str(_dir)], check=False)


def test_passport_pages_follow_the_chosen_language(login_as, client, fangxing):
    login_as("fangxing-mgr")
    client.get("/lang/en")
    page = client.get("/passport/fangxing/").get_data(as_text=True)
    assert "Volunteer Passport" in page and "Register a volunteer" in page and "Redemption windows and gifts" in page
    assert "登记志愿者" not in page and "兑换窗口与礼品" not in page
    form = client.get("/passport/fangxing/volunteers/new").get_data(as_text=True)
    assert "ID card number" in form and "身份证号码" not in form

    client.get("/lang/zh")
    page = client.get("/passport/fangxing/").get_data(as_text=True)
    assert "登记志愿者" in page and "Register a volunteer" not in page
