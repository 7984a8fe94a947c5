"""Sessions and tokens that end (issue 10). A trainee has two API tokens (a program asked for them);
on 我的 she sees both and revokes one, which stops working while the other goes on. She is logged in
on her phone and, remembered, on a computer; the administrator signs her out everywhere from her user
page: both browsers are logged out, her last token stops working, and she simply logs in again."""
import json
import re
import urllib.error
import urllib.request

from playwright.sync_api import expect

from .people import PASSWORD
from .test_journey_admin import open_admin_page

TRAINEE = "trainee-wang"


def request_token(server) -> str:
    """What a program does: POST /api/v1/auth/token."""
    request = urllib.request.Request(server.url("/api/v1/auth/token"), method="POST",
                                     data=json.dumps({"username": TRAINEE, "password": PASSWORD}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)["token"]


def token_accepted(server, token: str) -> bool:
    """Whether the API takes the token (a trainee may then still be refused the list: 403, not 401)."""
    request = urllib.request.Request(server.url("/api/v1/organizations"), headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=30):
            return True
    except urllib.error.HTTPError as error:
        assert error.code in (401, 403), error.code
        return error.code == 403


def open_me(person) -> None:
    person.open_menu()
    person.follow(person.page.get_by_role("link", name="我的", exact=True))
    expect(person.page.locator("h1")).to_contain_text("王学员")


def test_tokens_are_revoked_one_by_one_and_the_administrator_signs_a_person_out_everywhere(people, server):
    first, second = request_token(server), request_token(server)
    assert token_accepted(server, first)

    phone = people("phone", name="trainee-phone")
    phone.login(TRAINEE)
    open_me(phone)
    tokens = phone.page.locator("#api-tokens tbody tr")
    expect(tokens).to_have_count(2)
    expect(tokens.first).to_contain_text("未使用")  # the newest, not used yet
    expect(tokens.last).not_to_contain_text("未使用")
    phone.shot("我的接口令牌")
    with phone.confirming("确定作废这个接口令牌吗"):
        tokens.last.get_by_role("button", name="作废").click()
    phone.see("已作废该接口令牌")
    expect(tokens).to_have_count(1)
    phone.shot("作废了一个令牌")
    assert not token_accepted(server, first)
    assert token_accepted(server, second)

    # She is also logged in on a computer, remembered there.
    computer = people("desktop", name="trainee-computer")
    computer.goto("/login")
    computer.page.get_by_label("用户名").fill(TRAINEE)
    computer.page.get_by_label("密码", exact=True).fill(PASSWORD)
    computer.page.get_by_label("记住我").check()
    computer.page.get_by_role("button", name="登录").click()
    expect(computer.page.locator("#account-menu")).to_be_visible()
    computer.shot("电脑上已登录")

    admin = people("desktop", name="admin")
    admin.login("admin")
    open_admin_page(admin, "用户")
    admin.follow(admin.page.get_by_role("link", name=TRAINEE, exact=True))
    expect(admin.page.locator("h1")).to_contain_text("王学员")
    admin.see("退出所有登录", "其接口令牌全部作废")
    admin.shot("用户页的退出所有登录")
    with admin.confirming(f"确定退出 {TRAINEE} 的所有登录吗", "接口令牌全部作废"):
        admin.click_button("退出所有登录")
    admin.see(f"已退出 {TRAINEE} 的所有登录")
    admin.shot("已退出所有登录")
    assert not token_accepted(server, second)

    for device in (phone, computer):
        device.page.reload()
        expect(device.page.locator("#account-menu")).to_have_count(0)
        expect(device.page).to_have_url(re.compile(r"/login\?next="))  # the page she was on needs a login
        device.shot("已被退出登录")
    # The remember-me cookie opens no new session either.
    computer.goto("/")
    expect(computer.page.locator("#account-menu")).to_have_count(0)

    phone.login(TRAINEE)
    open_me(phone)
    phone.not_see("我的接口令牌")
    phone.shot("重新登录")
