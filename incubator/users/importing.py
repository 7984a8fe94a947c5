"""Importing people (导入人员): what every importer of accounts shares — the person's columns (姓名,
手机, 邮箱, 用户名), the match with an existing account (by username, else by the one account with
that phone), accounts opened without a password (setup.py) and the notice with the link to set one.
The core's own importer is the organizations' contacts (组织联系人); plugins build theirs (trainees,
experts) on PeopleImporter."""
from __future__ import annotations

import re

from pypinyin import lazy_pinyin
from sqlalchemy import func, select

from .. import audit
from ..database import transaction
from ..errors import DomainError
from ..extensions import db
from ..imports.base import Importer, Outcome, PlannedRow
from ..imports.columns import Column, Problem
from ..organizations.matching import normalized_name, phone_digits
from ..organizations.models import Organization
from ..permissions import can
from ..validators import phone_error
from . import services, setup
from .models import User

PERSON_COLUMNS = (
    Column("姓名", "name", required=True, example="王芳"),
    Column("手机", "phone", aliases=("手机号", "联系电话", "电话"), example="13955100000",
           hint="用于登录和接收开通短信；同一手机号视为同一人"),
    Column("邮箱", "email", aliases=("电子邮箱", "email"), example="wangfang@example.com",
           hint="用于接收开通邮件"),
    Column("用户名", "username", example="", hint="空白时为手机号，没有手机号时为姓名拼音"),
)
FIELD_HEADERS = {"name": "姓名", "phone": "手机", "email": "邮箱", "username": "用户名"}


class PeopleImporter(Importer):
    """An importer of accounts of `role`: subclasses add their columns and say, per row, what else
    to check (`check_more`) and to write beside the account (`write_more`)."""

    role = "trainee"
    columns = PERSON_COLUMNS

    def check(self, rows, *, user, parks, default_park):
        taken = _Accounts.load()
        planned = []
        for row in rows:
            row = PlannedRow(number=row.number, cells=row.cells, values=row.values, problems=row.problems)
            self.check_person(row, taken)
            if not row.bad:
                self.check_more(row, user=user, parks=parks, default_park=default_park)
            planned.append(row)
        return planned

    def check_person(self, row: PlannedRow, taken: _Accounts) -> None:
        v = row.values
        if not v.get("name"):
            row.problems.append(Problem("姓名", "请填写姓名"))
            return
        existing = taken.match(v.get("username"), v.get("phone"), row)
        if existing is not None:
            if existing.role != self.role:
                row.problems.append(Problem("", f"该账号（{existing.username}）已是{existing.role_label}，不能导入为此类人员"))
                return
            row.match, row.reason = existing, "用户名相同" if v.get("username") else "手机号相同"
            row.match_label = f"{existing.display_name}（{existing.username}）"
            row.action, row.choices = "update", ("update", "skip")
            return
        if v.get("username") and v["username"].casefold() in taken.file_usernames:
            row.problems.append(Problem("用户名", f"与第 {taken.file_usernames[v['username'].casefold()]} 行的用户名相同"))
            return
        data = {"username": v.get("username") or taken.new_username(v.get("name"), v.get("phone")),
                "name": v.get("name"), "phone": v.get("phone") or "", "email": v.get("email") or "",
                "role": self.role}
        try:
            row.data["account"] = services.validate(data, password_required=False)
        except DomainError as exc:
            row.problems.append(Problem(FIELD_HEADERS.get(exc.field, ""), exc.message))
            return
        taken.reserve(row.data["account"], row.number)

    def check_more(self, row: PlannedRow, *, user, parks, default_park) -> None:
        """Subclasses: check the row's other columns (add Problems), fill row.data."""

    def write_more(self, account: User, row: PlannedRow, *, user, created: bool) -> None:
        """Subclasses: write what goes with the account (inside the import's transaction)."""

    def write(self, rows, *, user, source):
        created, updated = [], []
        with transaction():
            for row in rows:
                if row.action == "create":
                    account = setup.new_account(**row.data["account"])
                    db.session.add(account)
                    db.session.flush()
                    created.append(account)
                elif row.action == "update":
                    account = row.match
                    for key in ("name", "email"):
                        if row.values.get(key) and not getattr(account, key):
                            setattr(account, key, row.values[key])
                    updated.append(account)
                else:
                    continue
                self.write_more(account, row, user=user, created=row.action == "create")
            audit.record_many("user.create", "User", ((a.id, f"{a.display_name}（{a.username}）（导入）",
                                                       {"source": source, "role": a.role}) for a in created),
                              user=user)
            if created or updated:
                audit.record("user.import", object_type="import", object_id=source[:60], user=user,
                             summary=f"导入{self.label}（{source}）：新开通 {len(created)} 个账号，更新 {len(updated)} 个",
                             created=len(created), updated=len(updated))
            setup.invite(created)
        return Outcome.of(rows, created=len(created), updated=len(updated), ids=[a.id for a in created + updated],
                          accounts=created)

    def row_label(self, row) -> str:
        return str(row.values.get("name") or "")


class _Accounts:
    """The usernames and phones already used, read once per import, and those the file takes."""

    def __init__(self):
        self.usernames = {u.casefold() for u in db.session.scalars(select(User.username))}
        self.by_phone: dict[str, list[int]] = {}
        for user_id, phone in db.session.execute(select(User.id, User.phone).where(User.phone != "")):
            self.by_phone.setdefault(phone_digits(phone), []).append(user_id)
        self.file_phones: dict[str, int] = {}
        self.file_usernames: dict[str, int] = {}

    @classmethod
    def load(cls):
        return cls()

    def match(self, username, phone, row) -> User | None:
        if username:
            found = db.session.scalar(select(User).where(func.lower(User.username) == username.casefold()))
            if found is not None:
                return found
        digits = phone_digits(phone)
        if digits and digits in self.file_phones:
            row.problems.append(Problem("手机", f"与第 {self.file_phones[digits]} 行的手机号相同"))
            return None
        ids = self.by_phone.get(digits, []) if digits else []
        if len(ids) > 1:
            row.problems.append(Problem("手机", "有多个账号使用该手机号，请填写用户名"))
            return None
        return db.session.get(User, ids[0]) if ids else None

    def new_username(self, name, phone) -> str:
        """The phone number (how people here log in to everything), else the name's pinyin."""
        digits = phone_digits(phone)
        if digits and not phone_error(phone) and digits not in self.usernames and digits not in self.file_usernames:
            return digits
        stem = re.sub(r"[^a-z0-9]", "", "".join(lazy_pinyin(name or ""))) or "user"
        stem = stem[:70] if len(stem) >= 3 else stem + "user"
        candidate, n = stem, 1
        while candidate in self.usernames or candidate in self.file_usernames:
            n += 1
            candidate = f"{stem}{n}"
        return candidate

    def reserve(self, account: dict, number: int) -> None:
        """What row `number` takes: its username and phone are no one else's in the file."""
        username = account["username"].casefold()
        self.file_usernames[username] = number
        self.usernames.add(username)
        if account.get("phone"):
            self.file_phones[phone_digits(account["phone"])] = number


# -- organizations' contacts ----------------------------------------------------------------------------

class ContactImporter(PeopleImporter):
    """组织联系人: accounts that speak for an organization, found by its USCC or its name."""

    kind = "contacts"
    label = "组织联系人"
    description = "为已登记的组织开通联系人账号（无需设置初始密码，本人通过开通通知设置）"
    columns = (*PERSON_COLUMNS,
               Column("组织名称", "organization", required=True, example="包河区示例社工服务中心"),
               Column("统一社会信用代码", "uscc", aliases=("信用代码",), hint="填写时按代码查找组织，否则按名称"))
    list_endpoint = "organizations.index"

    def may_import(self, user) -> bool:
        return user is None or user.role in ("admin", "manager")

    def parks_for(self, user):
        from ..plugins import visible_parks
        from ..parks.models import Park
        if user is None:
            return list(db.session.scalars(select(Park).order_by(Park.id)))
        return [p for p in visible_parks(user) if can("org.edit", p, user=user)]

    def check_more(self, row, *, user, parks, default_park):
        allowed = {p.id for p in parks}
        org = _organization(row.values.get("uscc"), row.values.get("organization"))
        if org is None:
            row.problems.append(Problem("组织名称", f"没有找到组织“{row.values.get('organization')}”，请先导入组织"))
            return
        if org.park_id not in allowed:
            row.problems.append(Problem("组织名称", f"“{org.name}”不在你管理的园区"))
            return
        account = row.match
        if account is not None and account.organization_id not in (None, org.id):
            row.problems.append(Problem("", "该账号已是另一个组织的联系人；一个账号只能是一个组织的联系人"))
            return
        if account is not None and account.organization_id == org.id:
            row.action, row.choices = "unchanged", ()
        row.data["organization"] = org

    def write_more(self, account, row, *, user, created):
        org = row.data["organization"]
        if account.organization_id is None:
            account.organization_id = org.id
            audit.record("org.contact_add", org, user=user,
                         summary=f"{org.name}：添加联系人 {account.display_name}（{account.username}）（导入）",
                         contact=account.username)


def _organization(uscc: str | None, name: str | None) -> Organization | None:
    if uscc:
        org = db.session.scalar(select(Organization).where(Organization.uscc == uscc.strip().upper()))
        if org is not None:
            return org
    normal = normalized_name(name)
    if not normal:
        return None
    from ..organizations.matching import find_matches
    found = [m.organization for m in find_matches(name, None, None) if normalized_name(m.organization.name) == normal]
    return found[0] if len(found) == 1 else None
