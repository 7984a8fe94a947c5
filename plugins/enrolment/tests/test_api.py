"""The academy's JSON API: courses, offerings, enrolments (enrol, cancel, approve, remove), attendance."""
from datetime import timedelta

from incubator.db_types import utcnow
from incubator.extensions import db
from plugins.enrolment import services
from plugins.enrolment.models import Enrolment, Offering


def test_courses_are_public_with_their_syllabus(client, courses):
    body = client.get("/api/v1/courses?per_page=50").get_json()
    assert body["total"] == len([c for c in courses.values() if c.active])
    one = client.get("/api/v1/courses/CG301").get_json()
    assert one["title"] == "社区社会组织孵化督导实务" and one["hours"] == 12.0 and one["prerequisites"] == ["CG201"]
    assert one["min_attendance"] == 90 and "## 先修要求" in one["syllabus"] and "<h2>先修要求</h2>" in one["syllabus_html"]
    assert one["html_url"].endswith("/academy/courses/CG301")
    assert client.get("/api/v1/courses?category=组织培育").get_json()["total"] == 3


def test_unknown_course_is_404_in_the_core_error_format(client, courses):
    response = client.get("/api/v1/courses/NOPE")
    assert response.status_code == 404 and response.get_json()["errors"][0]["code"] == "NotFound"


def test_manager_schedules_an_offering_through_the_api(client, api, courses):
    start = (utcnow() + timedelta(days=20)).replace(microsecond=0)
    payload = {"course": "PM102", "park": "fangxing", "title": "API班", "venue": "会议室", "instructor": "expert-zhou",
               "capacity": 2, "enrol_opens_at": (start - timedelta(days=15)).isoformat() + "Z",
               "enrol_closes_at": (start - timedelta(days=1)).isoformat() + "+00:00",
               "sessions": [{"starts_at": start.isoformat() + "+08:00",
                             "ends_at": (start + timedelta(hours=3)).isoformat() + "+08:00", "topic": "会计制度"}]}
    response = client.post("/api/v1/offerings", json=payload, headers=api("fangxing-mgr"))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["course"] == "PM102" and body["park"] == "fangxing" and body["instructor"] == "expert-zhou"
    assert body["sessions"][0]["starts_at"] == (start - timedelta(hours=8)).isoformat()  # stored in UTC
    assert body["seats_taken"] == 0 and body["html_url"].endswith(f"/academy/offerings/{body['id']}")

    other = client.post("/api/v1/offerings", json={**payload, "park": "changqing"}, headers=api("fangxing-mgr"))
    assert other.status_code == 403
    bad = client.post("/api/v1/offerings", json={**payload, "capacity": 0, "course": "NOPE"}, headers=api("fangxing-mgr"))
    assert bad.status_code == 422 and {e.get("field") for e in bad.get_json()["errors"]} >= {"capacity"}
    wrong = client.post("/api/v1/offerings", json={**payload, "course": "NOPE"}, headers=api("fangxing-mgr"))
    assert wrong.status_code == 422 and wrong.get_json()["errors"][0]["field"] == "course"
    assert client.post("/api/v1/offerings", json=payload, headers=api("trainee-wang")).status_code == 403
    assert client.post("/api/v1/offerings", json=payload).status_code == 401


def test_enrol_waitlist_cancel_and_promotion_through_the_api(client, api, make_offering):
    offering = make_offering(capacity=1)
    wang, chen = api("trainee-wang"), api("trainee-chen")
    first = client.post(f"/api/v1/offerings/{offering.id}/enrolments", json={}, headers=wang)
    assert first.status_code == 201 and first.get_json()["status"] == "enrolled"
    second = client.post(f"/api/v1/offerings/{offering.id}/enrolments", json={}, headers=chen).get_json()
    assert second["status"] == "waitlisted" and second["waitlist_position"] == 1

    again = client.post(f"/api/v1/offerings/{offering.id}/enrolments", json={}, headers=wang)
    assert again.status_code == 409 and "不能重复报名" in again.get_json()["errors"][0]["message"]

    cancelled = client.post(f"/api/v1/enrolments/{first.get_json()['id']}/cancel", headers=wang)
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"
    mine = client.get("/api/v1/enrolments/mine", headers=chen).get_json()["items"]
    assert mine[0]["status"] == "enrolled" and mine[0]["promoted_at"] and mine[0]["waitlist_position"] is None

    twice = client.post(f"/api/v1/enrolments/{first.get_json()['id']}/cancel", headers=wang)
    assert twice.status_code == 409


def test_manager_enrols_someone_else_but_a_trainee_cannot(client, api, make_offering):
    offering = make_offering()
    response = client.post(f"/api/v1/offerings/{offering.id}/enrolments", json={"username": "trainee-chen"},
                           headers=api("fangxing-mgr"))
    assert response.status_code == 201 and response.get_json()["username"] == "trainee-chen"
    assert client.post(f"/api/v1/offerings/{offering.id}/enrolments", json={"username": "trainee-wang"},
                       headers=api("trainee-chen")).status_code == 403
    assert client.post(f"/api/v1/offerings/{offering.id}/enrolments", json={"username": "ghost"},
                       headers=api("fangxing-mgr")).status_code == 422


def test_approve_reject_and_remove_through_the_api(client, api, make_offering, users):
    offering = make_offering(capacity=5, requires_approval=True)
    a = client.post(f"/api/v1/offerings/{offering.id}/enrolments", json={}, headers=api("trainee-wang")).get_json()
    b = client.post(f"/api/v1/offerings/{offering.id}/enrolments", json={}, headers=api("trainee-chen")).get_json()
    assert a["status"] == b["status"] == "pending"
    mgr = api("fangxing-mgr")
    assert client.post(f"/api/v1/enrolments/{a['id']}/approve", headers=mgr).get_json()["status"] == "enrolled"
    assert client.post(f"/api/v1/enrolments/{b['id']}/reject", json={"note": "名额优先本社区"},
                       headers=mgr).get_json()["status"] == "rejected"
    assert client.post(f"/api/v1/enrolments/{a['id']}/remove", json={}, headers=mgr).get_json()["status"] == "removed"
    assert client.post(f"/api/v1/enrolments/{a['id']}/approve", headers=api("changqing-mgr")).status_code == 403
    assert client.post(f"/api/v1/enrolments/{a['id']}/approve", headers=mgr).status_code == 409


def test_roster_and_enrolments_are_private(client, api, make_offering):
    offering = make_offering()
    e = client.post(f"/api/v1/offerings/{offering.id}/enrolments", json={}, headers=api("trainee-wang")).get_json()
    assert client.get(f"/api/v1/offerings/{offering.id}/enrolments", headers=api("trainee-chen")).status_code == 403
    assert client.get(f"/api/v1/enrolments/{e['id']}", headers=api("trainee-chen")).status_code == 403
    assert client.get(f"/api/v1/enrolments/{e['id']}", headers=api("trainee-wang")).status_code == 200
    roster = client.get(f"/api/v1/offerings/{offering.id}/enrolments", headers=api("expert-li")).get_json()["items"]
    assert [r["username"] for r in roster] == ["trainee-wang"]
    assert client.get("/api/v1/enrolments/424242", headers=api("trainee-wang")).status_code == 404


def test_attendance_through_the_api_completes_and_reports_it(client, api, make_offering, users, completions):
    offering = make_offering(started=True, sessions=1, capacity=2)
    e = services.enrol(offering, users["trainee-wang"], by=users["fangxing-mgr"], as_manager=True)
    session_id = offering.sessions[0].id
    teacher = api("expert-li")
    before = client.get(f"/api/v1/sessions/{session_id}/attendance", headers=teacher).get_json()
    assert before["rows"] == [{"enrolment_id": e.id, "username": "trainee-wang", "name": "王学员", "status": None}]
    response = client.put(f"/api/v1/sessions/{session_id}/attendance", headers=teacher,
                          json={"marks": [{"enrolment_id": e.id, "status": "present"}]})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["completed"] == [e.id] and response.get_json()["rows"][0]["status"] == "present"
    assert len(completions.calls) == 1
    mine = client.get("/api/v1/enrolments/mine", headers=api("trainee-wang")).get_json()["items"]
    assert mine[0]["status"] == "completed" and mine[0]["hours"] == 12.0
    assert mine[0]["attendance"][0]["status"] == "present"

    bad = client.put(f"/api/v1/sessions/{session_id}/attendance", headers=teacher,
                     json={"marks": [{"enrolment_id": e.id, "status": "asleep"}]})
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["field"].startswith("marks")
    assert client.put(f"/api/v1/sessions/{session_id}/attendance", headers=api("expert-zhou"),
                      json={"marks": [{"enrolment_id": e.id, "status": "absent"}]}).status_code == 403
    assert client.put("/api/v1/sessions/999/attendance", headers=teacher,
                      json={"marks": [{"enrolment_id": e.id, "status": "absent"}]}).status_code == 404


def test_list_offerings_filters_by_park_course_and_upcoming(client, make_offering):
    make_offering(park="fangxing", course="CG101")
    make_offering(park="changqing", course="CG102", started=True)
    assert client.get("/api/v1/offerings").get_json()["total"] == 2
    assert client.get("/api/v1/offerings?park=fangxing").get_json()["items"][0]["park"] == "fangxing"
    assert client.get("/api/v1/offerings?course=CG102").get_json()["total"] == 1
    assert client.get("/api/v1/offerings?upcoming=true").get_json()["total"] == 1
    assert client.get("/api/v1/offerings?park=atlantis").status_code == 422


def test_capacity_patch_below_seats_is_409(client, api, make_offering, users):
    offering = make_offering(capacity=2)
    for name in ("trainee-wang", "trainee-chen"):
        services.enrol(offering, users[name], by=users[name])
    response = client.patch(f"/api/v1/offerings/{offering.id}", json={"capacity": 1}, headers=api("fangxing-mgr"))
    assert response.status_code == 409 and response.get_json()["errors"][0]["field"] == "capacity"
    assert db.session.get(Offering, offering.id).capacity == 2


def test_every_academy_endpoint_is_in_the_openapi_document(client, network):
    paths = client.get("/api/openapi.json").get_json()["paths"]
    for path, method in [("/api/v1/courses", "get"), ("/api/v1/courses/{code}", "get"),
                         ("/api/v1/offerings", "get"), ("/api/v1/offerings", "post"),
                         ("/api/v1/offerings/{offering_id}", "patch"),
                         ("/api/v1/offerings/{offering_id}/enrolments", "post"),
                         ("/api/v1/offerings/{offering_id}/enrolments", "get"),
                         ("/api/v1/offerings/{offering_id}/close", "post"),
                         ("/api/v1/enrolments/mine", "get"),
                         ("/api/v1/enrolments/{enrolment_id}/cancel", "post"),
                         ("/api/v1/enrolments/{enrolment_id}/approve", "post"),
                         ("/api/v1/enrolments/{enrolment_id}/reject", "post"),
                         ("/api/v1/enrolments/{enrolment_id}/remove", "post"),
                         ("/api/v1/sessions/{session_id}/attendance", "put")]:
        assert method in paths.get(path, {}), (path, method)


def test_enrolment_has_what_the_completion_hook_promises(make_offering, users):
    offering = make_offering()
    e = services.enrol(offering, users["trainee-wang"], by=users["trainee-wang"])
    e = db.session.get(Enrolment, e.id)
    assert e.user.username and e.offering.course.code and e.offering.course.title and e.offering.course.hours
    assert e.offering.park.code == "fangxing" and e.hours == 0 and e.completed_at is None
