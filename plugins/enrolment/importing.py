"""Importing trainees (导入学员): a district's list of the people it trains, as accounts opened without
a password (the core's PeopleImporter: 姓名, 手机, 邮箱, 用户名, the match with an existing account, the
notice with the link to set a password) and, beside each, the organization they belong to (所属组织).

所属组织 is kept as the trainee's profile says at sign-up: a name for the reports, never a link to
the organization (being its contact — its portal, its supervision logs to sign — is granted by its
park: the core's 组织联系人 import). A name or a 统一社会信用代码 that matches a registered organization
is written as the platform spells that organization; another name is kept as typed.

Who: the administrator, and the managers of the parks where the academy is enabled (trainees belong
to no park: any of those managers may bring them in, as any of them may enrol them).
"""
from __future__ import annotations

from sqlalchemy import select

from incubator import audit
from incubator.extensions import db
from incubator.imports.columns import Column, Problem
from incubator.organizations.matching import normalized_name
from incubator.permissions import can
from incubator.plugins import enabled_parks, visible_parks
from incubator.users.importing import PERSON_COLUMNS, PeopleImporter
from incubator.validators import normalize_uscc, uscc_error

from . import PLUGIN
from .models import TraineeProfile

ORGANIZATION_MAX = 120  # TraineeProfile.organization_name, and the sign-up form's limit


class TraineeImporter(PeopleImporter):
    """学员: trainee accounts with the organization each belongs to."""

    kind = "trainees"
    label = "学员"
    role = "trainee"
    description = "为学员开通账号（无需设置初始密码，本人通过开通通知设置），并记录所属组织"
    columns = (*PERSON_COLUMNS,
               Column("所属组织", "organization", aliases=("所在单位", "工作单位", "单位", "组织名称"),
                      example="包河区示例社工服务中心",
                      hint="组织名称或统一社会信用代码，可不填；与已登记组织相同时按平台上的名称记录"))

    def shown(self, row, column) -> str:
        if column.key == "organization" and row.data.get("organization"):
            return row.data["organization"]  # as it will be kept: a registered organization's own name
        return super().shown(row, column)

    def may_import(self, user) -> bool:
        return user is None or bool(self.managed_parks(user))

    def managed_parks(self, user) -> list:
        """The parks with the academy where `user` runs it."""
        return [park for park in visible_parks(user, PLUGIN) if can("academy.manage", park, user=user)]

    def parks_for(self, user) -> list:
        # A trainee belongs to no park, and no row reads it; the parks are those the user imports
        # from (an empty list hides the upload page's park field, which then refuses the form).
        return enabled_parks(PLUGIN) if user is None else self.managed_parks(user)

    # -- checking -----------------------------------------------------------------------------------
    def check(self, rows, *, user, parks, default_park):
        self._registered = None  # read on the first 所属组织 given
        planned = super().check(rows, user=user, parks=parks, default_park=default_park)
        profiles = {p.user_id: p for p in db.session.scalars(select(TraineeProfile).where(
            TraineeProfile.user_id.in_([row.match.id for row in planned if row.match is not None] or [-1])))}
        for row in planned:
            if not row.bad and row.match is not None:
                _compare(row, profiles.get(row.match.id))
        return planned

    def check_more(self, row, *, user, parks, default_park):
        if not row.values.get("name") and row.match is None:  # the core reads an empty 姓名 as ""
            row.problems.append(Problem("姓名", "请填写姓名"))
            return
        given = (row.values.get("organization") or "").strip()
        if not given:
            row.data["organization"] = None
            return
        if self._registered is None:
            self._registered = _Registered()
        name, problem = self._registered.name_for(given)
        if problem:
            row.problems.append(Problem("所属组织", problem))
            return
        row.data["organization"] = name
        if name != given:
            row.notes.append(f"所属组织按平台登记的名称记录：{name}")

    # -- writing --------------------------------------------------------------------------------------
    def write_more(self, account, row, *, user, created):
        name = row.data.get("organization")
        profile = db.session.get(TraineeProfile, account.id) if not created else None
        if profile is None:
            db.session.add(TraineeProfile(user_id=account.id, organization_name=name or ""))
        elif name and profile.organization_name != name:
            was = profile.organization_name
            profile.organization_name = name
            audit.record("academy.trainee_profile", account, user=user,
                         summary=f"{account.display_name}（{account.username}）所属组织：{was or '（未填写）'} → {name}（导入）",
                         organization=name)


def _compare(row, profile: TraineeProfile | None) -> None:
    """What updating a matched trainee changes; a row that changes nothing is unchanged."""
    account = row.match
    changes = [header for key, header in (("name", "姓名"), ("email", "邮箱"))
               if row.values.get(key) and not getattr(account, key)]  # the core fills only what is empty
    name = row.data.get("organization")
    if name and (profile is None or profile.organization_name != name):
        changes.append("所属组织")
    row.changes = changes
    if not changes:
        row.action, row.choices = "unchanged", ()


class _Registered:
    """The district's organizations' names and codes, read once per import (one query, however many
    rows and organizations): a given 所属组织 is matched in Python."""

    def __init__(self):
        from incubator.organizations.models import Organization
        self.by_uscc: dict[str, str] = {}
        self.by_name: dict[str, set[str]] = {}
        for name, uscc in db.session.execute(select(Organization.name, Organization.uscc)):
            if uscc:
                self.by_uscc[uscc] = name
            self.by_name.setdefault(normalized_name(name), set()).add(name)

    def name_for(self, given: str) -> tuple[str | None, str | None]:
        """(the name to keep, a problem): a registered organization's own name when `given` is its
        USCC or its name (in any spelling `normalized_name` folds); else the name as typed."""
        code = normalize_uscc(given) if len(given.replace(" ", "").replace("-", "")) == 18 else None
        if code and not uscc_error(code):
            if code not in self.by_uscc:
                return None, f"没有统一社会信用代码为 {code} 的已登记组织；请填写组织名称"
            return self.by_uscc[code], None
        if len(given) > ORGANIZATION_MAX:
            return None, f"不能超过{ORGANIZATION_MAX}字"
        same = self.by_name.get(normalized_name(given), set())
        return (next(iter(same)) if len(same) == 1 else given), None
