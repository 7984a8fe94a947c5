"""能力评估's figures in the district's report (issue 13, 评估): a known history of back-dated entry,
mid-term and exit assessments over 2021–2026 in two parks — assessments finished by the day they took
place, by kind and by grade, and the average gain from entry to exit of those that took their exit
assessment in a year (the last one of the year) — and the number of queries stays the same whatever
the number of assessments."""
from datetime import date
from decimal import Decimal

import pytest

from incubator.testing import statements_sent
from incubator.figures import Scope, collect
from plugins.assessment import services
from plugins.assessment.figures import figures

YEARS = (2021, 2022, 2023, 2024, 2025)


@pytest.fixture
def assess(users, score_all):
    """assess(org, kind, day, share): an assessment of `org` on `day`, each indicator scored `share`
    of its points (out of 1000: 0.55 → 550, 1A), finished unless `finish` is False."""
    def _assess(org, kind, day, share, finish=True):
        manager = users["fangxing-mgr" if org.park.code == "fangxing" else "changqing-mgr"]
        assessment = services.start(org, kind, users["expert-li"], day, user=manager)
        score_all(assessment, share, finish=finish)
        if finish:
            assert assessment.total == Decimal(str(round(share * 1000, 1)))
        return assessment
    return _assess


@pytest.fixture
def history(make_org, assess, parks):
    f1, f2, f3, f4 = (make_org(park="fangxing", stage="incubating", name=f"方兴社会组织{i}") for i in range(1, 5))
    c1, c2 = (make_org(park="changqing", stage="incubating", name=f"常青社会组织{i}") for i in range(1, 3))
    assess(f1, "entry", date(2022, 3, 1), 0.55)      # 550 1A
    assess(f1, "midterm", date(2023, 3, 1), 0.65)    # 650 2A
    assess(f1, "exit", date(2024, 2, 1), 0.75)       # 750 3A: +200 in 2024
    assess(f2, "entry", date(2023, 5, 1), 0.45)      # 450 未达等级
    assess(f2, "exit", date(2025, 1, 10), 0.65)      # 650 2A
    assess(f2, "exit", date(2025, 6, 1), 0.85)       # 850 4A: the year's last exit, +400 in 2025
    assess(f3, "entry", date(2025, 2, 1), 0.95)      # 950 5A
    assess(f3, "midterm", date(2025, 4, 1), 0.6, finish=False)  # a draft counts nowhere
    assess(f4, "entry", date(2025, 9, 1), 0.3)       # 300 未达等级
    assess(c1, "entry", date(2024, 4, 1), 0.55)      # 550
    assess(c1, "exit", date(2025, 11, 30), 0.75)     # 750: +200 in 2025
    assess(c2, "entry", date(2021, 6, 1), 0.65)      # 650
    assess(c2, "exit", date(2026, 1, 5), 0.85)       # 850: +200 in 2026
    return parks


def found(scope):
    return {f.key: f for f in figures(scope)}


def test_finished_assessments_count_by_the_day_they_took_place(history):
    finished = found(Scope(YEARS))["assessment.finished"]
    assert finished.by_year == {2021: 1, 2022: 1, 2023: 2, 2024: 2, 2025: 5}
    assert finished.by_park == {history["fangxing"].id: 4, history["changqing"].id: 1}
    assert finished.breakdowns["园区"] == {"常青街道社会组织孵化基地": 1, "方兴社区社会组织孵化基地": 4}
    assert finished.breakdowns["类别"] == {"入园评估": 2, "出壳评估": 3}
    assert finished.targetable and (finished.unit, finished.area) == ("次", "评估")


def test_the_grades_of_the_years_assessments_highest_first(history):
    grades = found(Scope(YEARS))["assessment.finished"].breakdowns["等级"]
    assert list(grades.items()) == [("5A", 1), ("4A", 1), ("3A", 1), ("2A", 1), ("未达等级", 1)]
    assert found(Scope((2023,)))["assessment.finished"].breakdowns["等级"] == {"2A": 1, "未达等级": 1}


def test_the_average_gain_from_entry_to_exit_of_the_years_exits(history):
    change = found(Scope(YEARS))["assessment.exit_change"]
    assert change.label == "出壳评估较入园评估平均提升" and change.unit == "分"
    # 2025: 方兴社会组织2 (850 − 450, its last exit of the year) and 常青社会组织1 (750 − 550).
    assert change.by_year == {2021: 0, 2022: 0, 2023: 0, 2024: 200.0, 2025: 300.0}
    assert change.by_park == {history["fangxing"].id: 400.0, history["changqing"].id: 200.0}
    assert change.breakdowns == {"园区": {"常青街道社会组织孵化基地": 200.0, "方兴社区社会组织孵化基地": 400.0}}
    assert found(Scope((2025, 2026)))["assessment.exit_change"].by_year == {2025: 300.0, 2026: 200.0}


def test_a_park_scope_counts_only_its_organizations(history):
    figures_ = found(Scope(YEARS, (history["changqing"].id,)))
    assert figures_["assessment.finished"].by_year == {2021: 1, 2022: 0, 2023: 0, 2024: 1, 2025: 1}
    assert figures_["assessment.finished"].breakdowns["等级"] == {"3A": 1}
    assert figures_["assessment.exit_change"].by_year == {2021: 0, 2022: 0, 2023: 0, 2024: 0, 2025: 200.0}
    assert found(Scope(YEARS, ()))["assessment.finished"].by_year == dict.fromkeys(YEARS, 0)


def test_the_report_shows_the_assessment_figures(history, login_as):
    assert [f.key for f in collect(Scope(YEARS)) if f.area == "评估" and f.key.startswith("assessment.")] == [
        "assessment.finished", "assessment.exit_change"]
    html = login_as("admin").get("/reports?year=2025").get_data(as_text=True)
    assert "完成能力评估" in html and "出壳评估较入园评估平均提升" in html


def test_the_number_of_queries_does_not_grow_with_the_assessments(network, make_org, assess):
    def statements(n):
        for i in range(n):
            org = make_org(park="fangxing", stage="incubating", name=f"方兴服务队{n}-{i}")
            assess(org, "entry", date(2023, 3, 1), 0.55)
            assess(org, "exit", date(2025, 3, 1), 0.75)
        return statements_sent(lambda: figures(Scope(YEARS)))
    assert statements(2) == statements(12)
