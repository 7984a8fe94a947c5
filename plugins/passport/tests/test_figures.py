"""义粉护照's figures in the district's report (issue 13, 志愿服务): a known history over 2021–2026 in
two communities — registrations and redemptions by the district's day they were recorded (just after
midnight on 1 January is the new year), service by the day of its activity with the corrections made
to it since (a correction of a correction too) — and the number of queries stays the same whatever
the number of volunteers and records."""
from datetime import date, datetime

import pytest
from sqlalchemy import select

from incubator.testing import statements_sent
from incubator.dates import to_utc
from incubator.extensions import db
from incubator.figures import Scope, collect
from incubator.plugins import set_enablement
from plugins.passport import services
from plugins.passport.figures import figures
from plugins.passport.models import Gift, LedgerEntry, RedemptionWindow

YEARS = (2021, 2022, 2023, 2024, 2025)


@pytest.fixture
def passport_parks(parks):
    set_enablement("passport", "parks", [parks["fangxing"], parks["binhu-mingzhu"]])
    db.session.commit()
    return parks["fangxing"], parks["binhu-mingzhu"]


@pytest.fixture
def volunteer(make_volunteer):
    """volunteer(park, registered: the district's wall clock) → a Volunteer registered then."""
    def _make(park, registered):
        v = make_volunteer(park=park)
        v.created_at = to_utc(registered)
        db.session.commit()
        return v
    return _make


@pytest.fixture
def serve(manager):
    """serve(park, held_on, [(volunteer, minutes)]) → the earn entries of one activity."""
    def _serve(park, held_on, served):
        activity = services.create_activity(park, {"title": f"{held_on}志愿活动", "held_on": held_on},
                                            user=manager)
        entries = []
        for v, minutes in served:
            service = services.record_service(activity, v, minutes, user=manager)
            entries.append(db.session.scalar(select(LedgerEntry).where(LedgerEntry.service_id == service.id)))
        return entries
    return _serve


@pytest.fixture
def redeem(manager):
    """redeem(volunteer, points, at: the district's wall clock): a gift of `points` in a window then."""
    def _redeem(v, points, at):
        db.session.add(RedemptionWindow(park_id=v.park_id, name=f"{at:%Y%m%d}兑换", opens_on=at.date(),
                                        closes_on=at.date()))
        gift = Gift(park_id=v.park_id, name=f"礼品{points}", points_cost=points, stock=5)
        db.session.add(gift)
        db.session.commit()
        redemption = services.redeem(v, gift, user=manager, today=at.date())
        redemption.created_at = to_utc(at)
        db.session.commit()
        return redemption
    return _redeem


@pytest.fixture
def history(passport_parks, volunteer, serve, redeem, manager):
    fangxing, binhu = passport_parks
    v1 = volunteer(fangxing, datetime(2021, 3, 1, 10))
    v2 = volunteer(fangxing, datetime(2022, 3, 1, 10))
    v3 = volunteer(fangxing, datetime(2025, 1, 1, 0, 20))  # 16:20 UTC on 31 December 2024: a 2025 volunteer
    v4 = volunteer(fangxing, datetime(2026, 1, 1, 0, 5))
    b1 = volunteer(binhu, datetime(2024, 12, 31, 23, 30))
    b2 = volunteer(binhu, datetime(2025, 7, 1, 9))
    # One point per full half hour (the default rule).
    a22_v1, _a22_v2 = serve(fangxing, date(2022, 5, 1), [(v1, 90), (v2, 60)])
    serve(fangxing, date(2024, 10, 1), [(v1, 120)])
    a25_v1, _a25_v3 = serve(fangxing, date(2025, 3, 1), [(v1, 60), (v3, 150)])
    serve(fangxing, date(2025, 12, 31), [(v3, 30)])
    serve(binhu, date(2025, 8, 1), [(b1, 50), (b2, 240)])
    serve(fangxing, date(2026, 6, 1), [(v4, 60)])
    # Corrections made now count in the year of the service they correct.
    services.correct(v1, a22_v1.id, -1, -30, "多记了半小时", user=manager)
    extra = services.correct(v1, a25_v1.id, 1, 30, "漏记半小时", user=manager)
    services.correct(v1, extra.id, 0, -10, "更正的更正：只漏记20分钟", user=manager)
    redeem(v1, 2, datetime(2023, 7, 1, 10))
    redeem(v1, 4, datetime(2025, 6, 20, 10))
    redeem(b2, 3, datetime(2026, 1, 1, 0, 30))  # 16:30 UTC on 31 December 2025: 2026
    return fangxing, binhu


def found(scope):
    return {f.key: f for f in figures(scope)}


def test_volunteers_registered_by_the_district_year_and_in_all(history):
    fangxing, binhu = history
    volunteers = found(Scope(YEARS))["passport.volunteers"]
    assert volunteers.by_year == {2021: 1, 2022: 1, 2023: 0, 2024: 1, 2025: 2}
    assert volunteers.cumulative == 5  # the one registered in 2026 is not counted up to 2025
    assert volunteers.by_park == {fangxing.id: 1, binhu.id: 1}
    assert volunteers.breakdowns == {"园区": {"方兴社区社会组织孵化基地": 1, "滨湖明珠社区社会组织孵化基地": 1}}
    assert (volunteers.unit, volunteers.area) == ("人", "志愿服务")
    assert found(Scope((2025, 2026)))["passport.volunteers"].cumulative == 6


def test_volunteers_who_served_are_counted_once_a_year(history):
    fangxing, binhu = history
    served = found(Scope(YEARS))["passport.served"]
    assert served.by_year == {2021: 0, 2022: 2, 2023: 0, 2024: 1, 2025: 4}
    assert served.by_park == {fangxing.id: 2, binhu.id: 2}
    assert served.breakdowns["园区"] == {"方兴社区社会组织孵化基地": 2, "滨湖明珠社区社会组织孵化基地": 2}


def test_hours_and_points_count_in_the_year_served_with_their_corrections(history):
    fangxing, binhu = history
    figures_ = found(Scope(YEARS))
    hours, earned = figures_["passport.hours"], figures_["passport.points_earned"]
    # 2022: 90 + 60 − 30; 2025: 方兴 60 + 30 − 10 + 150 + 30 = 260 min, 滨湖明珠 50 + 240 = 290 min.
    assert hours.by_year == {2021: 0, 2022: 2.0, 2023: 0, 2024: 2.0, 2025: 9.2}
    assert hours.by_park == {fangxing.id: 4.3, binhu.id: 4.8}
    assert hours.breakdowns["园区"] == {"方兴社区社会组织孵化基地": 4.3, "滨湖明珠社区社会组织孵化基地": 4.8}
    assert hours.targetable and hours.unit == "小时"
    assert earned.by_year == {2021: 0, 2022: 4, 2023: 0, 2024: 4, 2025: 18}
    assert earned.by_park == {fangxing.id: 9, binhu.id: 9} and earned.unit == "分"
    assert found(Scope((2026,)))["passport.hours"].by_year == {2026: 1.0}


def test_points_redeemed_count_in_the_district_year_of_the_redemption(history):
    fangxing, _binhu = history
    redeemed = found(Scope(YEARS))["passport.points_redeemed"]
    assert redeemed.by_year == {2021: 0, 2022: 0, 2023: 2, 2024: 0, 2025: 4}
    assert redeemed.by_park == {fangxing.id: 4}
    assert found(Scope((2025, 2026)))["passport.points_redeemed"].by_year == {2025: 4, 2026: 3}


def test_a_park_scope_counts_only_its_volunteers(history):
    _fangxing, binhu = history
    figures_ = found(Scope(YEARS, (binhu.id,)))
    assert figures_["passport.volunteers"].by_year == {2021: 0, 2022: 0, 2023: 0, 2024: 1, 2025: 1}
    assert figures_["passport.volunteers"].cumulative == 2
    assert figures_["passport.served"].by_year[2025] == 2 and figures_["passport.served"].by_year[2022] == 0
    assert figures_["passport.hours"].by_year[2025] == 4.8
    assert figures_["passport.points_redeemed"].by_year == dict.fromkeys(YEARS, 0)
    assert found(Scope(YEARS, ()))["passport.volunteers"].cumulative == 0


def test_the_report_shows_the_volunteer_figures(history, login_as):
    keys = [f.key for f in collect(Scope(YEARS)) if f.area == "志愿服务"]
    assert keys == ["passport.volunteers", "passport.served", "passport.hours", "passport.points_earned",
                    "passport.points_redeemed"]
    html = login_as("admin").get("/reports?year=2025").get_data(as_text=True)
    assert "志愿服务时长" in html and "登记志愿者" in html


def test_the_number_of_queries_does_not_grow_with_the_volunteers(passport_parks, volunteer, serve, redeem,
                                                                   manager):
    fangxing, _binhu = passport_parks

    def statements(n):
        people = [volunteer(fangxing, datetime(2023, 2, 1, 9)) for _ in range(n)]
        entries = serve(fangxing, date(2024, 3, 1), [(v, 60 + i) for i, v in enumerate(people)])
        for v, entry in zip(people, entries):
            services.correct(v, entry.id, 1, 10, "补记", user=manager)
        redeem(people[0], 1, datetime(2024, 6, 1, 10))
        return statements_sent(lambda: figures(Scope(YEARS)))
    assert statements(3) == statements(20)
