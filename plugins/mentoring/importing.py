"""Importing experts (导入专家·督导): the district's pool of supervisors, as accounts opened without a
password (the core's PeopleImporter: 姓名, 手机, 邮箱, 用户名, the match with an existing account, the
notice with the link to set one) with each expert's profile — 专业领域, 工作单位, 职称 — which the
organization page shows where experts are assigned.

Experts serve the whole district (any park's manager assigns any of them), so only the
administrator imports them, as only the administrator opens their accounts by hand.
"""
from __future__ import annotations

from flask import url_for
from sqlalchemy import select

from incubator import audit
from incubator.extensions import db
from incubator.imports.columns import Column, Problem
from incubator.plugins import enabled_parks, is_enabled
from incubator.users.importing import PERSON_COLUMNS, PeopleImporter
from incubator.users.models import User

from . import PLUGIN
from .models import ExpertProfile

# key: (header, the longest value the profile keeps)
PROFILE_FIELDS = {"field": ("专业领域", 100), "institution": ("工作单位", 120), "title": ("职称", 60)}


class ExpertImporter(PeopleImporter):
    """专家·督导: expert accounts with their field, institution and title."""

    kind = "experts"
    label = "专家"
    role = "expert"
    description = "为督导专家开通账号（无需设置初始密码，本人通过开通通知设置），并记录专业领域、工作单位和职称"
    columns = (*PERSON_COLUMNS,
               Column("专业领域", "field", aliases=("领域", "专业", "擅长领域"), example="社区治理、社会组织培育",
                      hint="指派督导时显示，便于按专长选择专家"),
               Column("工作单位", "institution", aliases=("单位", "所在单位"), example="安徽大学社会与政治学院"),
               Column("职称", "title", aliases=("职务", "职称/职务"), example="副教授"))
    list_endpoint = None

    def may_import(self, user) -> bool:
        if user is None:
            return True
        return getattr(user, "role", None) == "admin" and is_enabled(PLUGIN)

    def parks_for(self, user) -> list:
        # Experts are the district's, not a park's, and no row reads it; the parks are those with
        # mentoring (an empty list hides the upload page's park field, which then refuses the form).
        return enabled_parks(PLUGIN) if self.may_import(user) else []

    def url_of(self, record):
        return url_for("admin.user_form", user_id=record.id) if isinstance(record, User) else None

    # -- checking -----------------------------------------------------------------------------------
    def check(self, rows, *, user, parks, default_park):
        planned = super().check(rows, user=user, parks=parks, default_park=default_park)
        matched = [row.match.id for row in planned if row.match is not None]
        profiles = {p.user_id: p for p in db.session.scalars(
            select(ExpertProfile).where(ExpertProfile.user_id.in_(matched or [-1])))}
        for row in planned:
            if not row.bad and row.match is not None:
                _compare(row, profiles.get(row.match.id))
        return planned

    def check_more(self, row, *, user, parks, default_park):
        if not row.values.get("name") and row.match is None:  # the core reads an empty 姓名 as ""
            row.problems.append(Problem("姓名", "请填写姓名"))
        profile = {}
        for key, (header, longest) in PROFILE_FIELDS.items():
            value = (row.values.get(key) or "").strip()
            if len(value) > longest:
                row.problems.append(Problem(header, f"不能超过{longest}字"))
            profile[key] = value
        row.data["profile"] = profile

    # -- writing --------------------------------------------------------------------------------------
    def write_more(self, account, row, *, user, created):
        given = {key: value for key, value in row.data["profile"].items() if value}
        profile = None if created else db.session.get(ExpertProfile, account.id)
        if profile is None:
            db.session.add(ExpertProfile(user_id=account.id, **{k: given.get(k, "") for k in PROFILE_FIELDS}))
            return
        changed = sorted(key for key, value in given.items() if getattr(profile, key) != value)
        for key in changed:
            setattr(profile, key, given[key])
        if changed:
            audit.record("mentoring.expert_profile", account, user=user,
                         summary=f"{account.display_name}（{account.username}）的专家资料（导入更新）：{profile.summary}",
                         changed=changed)


def _compare(row, profile: ExpertProfile | None) -> None:
    """What updating a matched expert changes (an empty cell keeps what the platform has); a row that
    changes nothing is unchanged."""
    account = row.match
    changes = [header for key, header in (("name", "姓名"), ("email", "邮箱"))
               if row.values.get(key) and not getattr(account, key)]  # the core fills only what is empty
    for key, (header, _longest) in PROFILE_FIELDS.items():
        value = row.data["profile"][key]
        if value and (profile is None or getattr(profile, key) != value):
            changes.append(header)
    row.changes = changes
    if not changes:
        row.action, row.choices = "unchanged", ()

