"""The academy's figures in the district's report (issue 13): a known history of classes over several
years — held through the real services, back-dated — and every figure, its breakdowns and totals;
a park's scope; the district's year of a class that starts early on 1 January (still 31 December in
UTC); classes not yet begun; the number of statements whatever the number of classes."""
from datetime import datetime, timedelta

import pytest

from incubator.testing import statements_sent
from incubator.dates import to_utc, today
from incubator.figures import Scope, collect
from incubator.figures import report as reports
from plugins.enrolment import completion, services
from plugins.enrolment.figures import figures

YEARS = (2022, 2023, 2024, 2025)


@pytest.fixture
def hold(courses, parks, users):
    """hold(course, park, first session (the district's time), seated trainees, completers, waiting=())
    runs a two-session class in the past: everyone seated, the completers at both sessions (so they
    complete), the others absent."""
    def _hold(code, park, first, people, completers=(), waiting=(), weeks=2):
        starts = to_utc(first)
        offering = services.create_offering({
            "course": courses[code], "park": parks[park], "title": f"{first:%Y}年班", "venue": "活动室",
            "instructor": users["expert-li"], "capacity": max(len(people), 1),
            "enrol_opens_at": starts - timedelta(days=30), "enrol_closes_at": starts - timedelta(days=1),
            "sessions": [(starts + timedelta(days=7 * i), starts + timedelta(days=7 * i, hours=3), f"第{i + 1}讲")
                         for i in range(weeks)]}, user=users["admin"])
        enrolments = [services.enrol(offering, p, by=users["admin"], as_manager=True) for p in (*people, *waiting)]
        seated = [e for e in enrolments if e.status == "enrolled"]
        for session in offering.sessions:
            completion.record_attendance(session, {e.id: "present" if e.user in completers else "absent"
                                                   for e in seated}, by=users["expert-li"])
        return offering
    return _hold


@pytest.fixture
def history(hold, make_trainee, users):
    """Six trainees in seven classes, 2021–2025, in three parks."""
    t = [None] + [make_trainee(name=f"学员{n}") for n in range(1, 7)]
    hold("CG101", "district", datetime(2021, 5, 10, 9), [t[1], t[2]], [t[1], t[2]])
    hold("CG101", "fangxing", datetime(2023, 3, 1, 9), [t[1], t[2], t[3]], [t[1], t[2]])
    hold("PM101", "changqing", datetime(2023, 9, 1, 9), [t[3], t[4]], [t[4]])
    hold("CG101", "district", datetime(2024, 12, 31, 19), [t[6]])  # nobody completed
    # 07:00 on New Year's Day in the district: 2024-12-31 23:00 UTC — a class of 2025.
    hold("CG201", "fangxing", datetime(2025, 1, 1, 7), [t[1], t[5]], [t[1], t[5]])
    # t3 waits for a seat that never frees: not a trainee of the class.
    hold("CG102", "district", datetime(2025, 6, 1, 9), [t[2], t[5], t[6]], [t[6]], waiting=[t[3]])
    hold("PM101", "fangxing", datetime(2025, 7, 1, 9), [])  # nobody took a seat: not held
    return t


def academy(scope):
    return {f.key: f for f in collect(scope) if f.key.startswith("academy.")}


def test_the_academys_figures_count_each_class_in_its_year(history, parks):
    found = academy(Scope(YEARS))
    assert list(found) == ["academy.enrolments", "academy.trainees", "academy.offerings", "academy.completions",
                           "academy.hours"]
    assert {f.area for f in found.values()} == {"培训"}
    assert found["academy.enrolments"].by_year == {2022: 0, 2023: 5, 2024: 1, 2025: 5}
    assert found["academy.trainees"].by_year == {2022: 0, 2023: 4, 2024: 1, 2025: 4}
    assert found["academy.offerings"].by_year == {2022: 0, 2023: 2, 2024: 1, 2025: 2}
    assert found["academy.completions"].by_year == {2022: 0, 2023: 3, 2024: 0, 2025: 3}
    assert found["academy.hours"].by_year == {2022: 0, 2023: 36.0, 2024: 0, 2025: 40.0}
    # Since the first class (2021's included), to the end of the report's year.
    assert found["academy.enrolments"].cumulative == 13
    assert found["academy.trainees"].cumulative == 6
    assert found["academy.offerings"].cumulative == 6
    assert found["academy.completions"].cumulative == 8
    assert found["academy.hours"].cumulative == 100.0
    assert [k for k, f in found.items() if f.targetable] == ["academy.enrolments"]


def test_the_report_years_breakdowns_by_park_category_and_course(history, parks):
    found = academy(Scope(YEARS))
    district, fangxing = parks["district"], parks["fangxing"]
    enrolments = found["academy.enrolments"]
    assert enrolments.by_park == {district.id: 3, fangxing.id: 2}
    assert enrolments.breakdowns == {"园区": {district.name: 3, fangxing.name: 2},
                                     "课程类别": {"社区治理": 3, "组织培育": 2},
                                     "课程": {"社区协商方法": 3, "社区社会组织培育孵化": 2}}
    # A trainee in two parks' classes is one in the district, one in each park.
    trainees = found["academy.trainees"]
    assert trainees.by_park == {district.id: 3, fangxing.id: 2} and trainees.value(2025) == 4
    assert trainees.breakdowns == {"园区": {district.name: 3, fangxing.name: 2},
                                   "课程类别": {"社区治理": 3, "组织培育": 2}}
    assert found["academy.offerings"].by_park == {district.id: 1, fangxing.id: 1}
    assert found["academy.completions"].breakdowns["园区"] == {district.name: 1, fangxing.name: 2}
    hours = found["academy.hours"]
    assert hours.by_park == {district.id: 8.0, fangxing.id: 32.0}
    assert hours.breakdowns["课程类别"] == {"组织培育": 32.0, "社区治理": 8.0}
    assert hours.breakdowns["课程"] == {"社区社会组织培育孵化": 32.0, "社区协商方法": 8.0}
    # An earlier report year has its own breakdowns.
    earlier = academy(Scope((2022, 2023)))
    assert earlier["academy.enrolments"].breakdowns["园区"] == {fangxing.name: 3, parks["changqing"].name: 2}
    assert earlier["academy.enrolments"].cumulative == 7 and earlier["academy.hours"].cumulative == 60.0


def test_a_park_scope_counts_only_its_classes(history, parks):
    found = academy(Scope(YEARS, (parks["fangxing"].id,)))
    assert found["academy.enrolments"].by_year == {2022: 0, 2023: 3, 2024: 0, 2025: 2}
    assert found["academy.trainees"].by_year == {2022: 0, 2023: 3, 2024: 0, 2025: 2}
    assert found["academy.trainees"].cumulative == 4  # t1, t2, t3, t5
    assert found["academy.hours"].by_year == {2022: 0, 2023: 24.0, 2024: 0, 2025: 32.0}
    assert found["academy.enrolments"].by_park == {parks["fangxing"].id: 2}
    assert list(found["academy.completions"].breakdowns["园区"]) == [parks["fangxing"].name]
    # No parks at all (the hook is asked for no plugin then; the module itself counts nothing).
    assert [f.cumulative for f in figures(Scope(YEARS, ()))] == [0, 0, 0, 0, 0]


def test_a_class_not_yet_begun_counts_nobody(make_offering, users, make_trainee):
    offering = make_offering(capacity=2)  # begins in ten days
    services.enrol(offering, make_trainee(), by=users["admin"], as_manager=True)
    this_year = today().year
    found = academy(Scope((this_year,)))
    assert found["academy.enrolments"].by_year == {this_year: 0} and found["academy.offerings"].cumulative == 0


def test_the_report_and_its_targets_read_the_academys_figures(history, parks, login_as):
    html = login_as("admin").get("/reports?year=2025").get_data(as_text=True)
    assert "培训人次" in html and "培训学时" in html and 'data-key="academy.enrolments"' in html
    page = login_as("admin").get("/reports/targets?year=2025").get_data(as_text=True)
    assert f'name="t-{parks["fangxing"].id}-academy.enrolments"' in page
    assert f'name="t-{parks["fangxing"].id}-academy.hours"' not in page
    report = reports.build(2025, [parks["fangxing"]], district=False)
    assert report.figure("academy.enrolments").by_year[2025] == 2


def test_the_number_of_statements_does_not_grow_with_the_classes(app, hold, make_trainee):
    people = [make_trainee() for _ in range(4)]

    def statements(n):
        for i in range(n):
            hold("CG101" if i % 2 else "PM101", ("district", "fangxing", "changqing")[i % 3],
                 datetime(2021 + i % 5, 3 + i % 8, 1, 9), people[:1 + i % 4], people[:i % 3])
        academy(Scope(YEARS))  # what is read once per process (plugin settings) is read
        return statements_sent(lambda: academy(Scope(YEARS)))
    assert statements(2) == statements(12)
