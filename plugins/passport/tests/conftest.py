"""Fixtures for the passport's tests: 方兴社区's manager, volunteers, an activity, a window, a gift."""
from datetime import timedelta

import pytest

from incubator.dates import today
from plugins.passport import idcard, services

ID_NUMBERS = [idcard.make(f"340111{1970 + i}0{i % 9 + 1}1{i % 10}{200 + i:03d}") for i in range(60)]


@pytest.fixture
def id_numbers():
    """Valid ID numbers (correct check digit) for test volunteers."""
    return ID_NUMBERS


@pytest.fixture
def fangxing(parks):
    return parks["fangxing"]


@pytest.fixture
def manager(users):
    return users["fangxing-mgr"]


@pytest.fixture
def make_volunteer(fangxing, manager):
    counter = {"n": 0}

    def _make(name=None, park=None, **fields):
        n = counter["n"]
        counter["n"] += 1
        data = {"name": name or f"志愿者{n}", "phone": f"1390000{n:04d}", "id_number": ID_NUMBERS[n]}
        data.update(fields)
        return services.register(park or fangxing, data, user=manager)
    return _make


@pytest.fixture
def make_activity(fangxing, manager):
    def _make(title="楼道清洁日", park=None, **fields):
        data = {"title": title, "held_on": today(), "place": "党群服务中心"}
        data.update(fields)
        return services.create_activity(park or fangxing, data, user=manager)
    return _make


@pytest.fixture
def open_window(fangxing, manager):
    return services.create_window(fangxing, "本期兑换", today() - timedelta(days=1),
                                  today() + timedelta(days=10), user=manager)


@pytest.fixture
def make_gift(fangxing, manager):
    def _make(name="环保购物袋", points_cost=4, stock=10, park=None):
        return services.save_gift(park or fangxing, {"name": name, "points_cost": points_cost, "stock": stock},
                                  user=manager)
    return _make


@pytest.fixture
def earn(make_activity, manager):
    """earn(volunteer, minutes) records service at a fresh activity and returns the Service."""
    counter = {"n": 0}

    def _earn(volunteer, minutes):
        counter["n"] += 1
        activity = make_activity(title=f"活动{counter['n']}")
        return services.record_service(activity, volunteer, minutes, user=manager)
    return _earn
