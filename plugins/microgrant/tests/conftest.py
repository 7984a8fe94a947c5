"""Fixtures for the micro-grant tests: a 万年埠 round in its review period, organizations, experts."""
from datetime import timedelta

import pytest

from incubator.dates import today
from plugins.microgrant import services


@pytest.fixture
def wannianbu(parks):
    return parks["wannianbu"]


@pytest.fixture
def mgr(users):
    return users["wannianbu-mgr"]


def _round_data(**overrides):
    """A round whose application closes today and whose review starts today."""
    day = today()
    data = {"title": "2026年万年埠街道公益微创投", "year": day.year, "budget_fen": 150_000_000,
            "max_grant_fen": 5_000_000, "categories": ["便民服务", "文明养犬", "社区公约", "居民骨干培育"],
            "criteria": [{"name": "需求明确", "max": 40}, {"name": "方案可行", "max": 60}],
            "tranche_percents": [60, 40],
            "apply_from": day - timedelta(days=20), "apply_until": day,
            "review_from": day, "review_until": day + timedelta(days=10),
            "execute_from": day + timedelta(days=11), "execute_until": day + timedelta(days=200)}
    data.update(overrides)
    return data


@pytest.fixture
def round_data():
    """round_data(**overrides) → the fields of a valid round (application closes today, review starts today)."""
    return _round_data


@pytest.fixture
def make_round(wannianbu, mgr, users):
    def _make(park=None, experts=("expert-li",), **overrides):
        rnd = services.create_round(park or wannianbu, _round_data(**overrides), user=mgr)
        if experts:
            services.set_experts(rnd, list(experts), user=mgr)
        return rnd
    return _make


@pytest.fixture
def make_application(make_org, mgr):
    counter = {"n": 0}

    def _make(rnd, org=None, lines=(("活动物料", 1_000_000), ("人员补贴", 1_000_000)), category="便民服务", **fields):
        counter["n"] += 1
        org = org or make_org(park="wannianbu", stage="incubating")
        data = {"title": f"项目{counter['n']}", "category": category, "goals": "让居民少跑腿",
                "beneficiaries": "老年居民", "beneficiary_count": 200, "lines": list(lines)}
        data.update(fields)
        return services.submit(rnd, org, data, user=mgr)
    return _make
