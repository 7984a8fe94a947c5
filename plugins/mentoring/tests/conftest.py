"""Fixtures for the mentoring tests: an organization with an assigned expert and a contact person."""
from datetime import date, timedelta

import pytest

from incubator.extensions import db
from incubator.plugins import set_enablement


@pytest.fixture
def supervised(make_org, users):
    """An incubating fangxing organization; expert-li assigned since 90 days; trainee-wang its contact."""
    from plugins.mentoring import assigning
    org = make_org(park="fangxing", stage="incubating", name="方兴邻里互助会")
    assigning.assign(org, users["expert-li"], date.today() - timedelta(days=90), None, user=users["fangxing-mgr"])
    users["trainee-wang"].organization_id = org.id  # granted by the park (core: organizations.contacts)
    db.session.commit()
    return org


@pytest.fixture
def log_data():
    """Valid fields for a log entry; override what a test is about."""
    def _data(**overrides):
        data = {"held_on": date.today() - timedelta(days=1), "hours": "2.5", "mode": "onsite",
                "topics": ["内部治理", "财务管理"], "findings": "理事会**记录**不全", "advice": "每季度开会",
                "actions": [{"description": "补齐会议纪要", "owner": "张芳", "due_on": date.today() + timedelta(days=14)}]}
        data.update(overrides)
        return data
    return _data


@pytest.fixture
def only_mentoring_vetoes(app, network):
    """Other plugins veto graduation too (checklist: a certificate on file; assessment: an exit score).

    Switch every other plugin off so a test sees our veto alone.
    """
    from incubator.plugins import registry
    for info in registry().loaded():
        if info.name != "mentoring":
            set_enablement(info.name, "none")
    db.session.commit()
