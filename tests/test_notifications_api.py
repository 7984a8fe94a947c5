"""GET /api/v1/notifications and marking read: one's own notices only."""
from incubator.notifications import msg, notify


def test_the_api_lists_unread_notices_and_marks_them_read(client, api, users):
    admin = users["admin"]
    notify([admin], "org.stage_moved", msg("%(org)s 的孵化阶段已变更为“%(stage)s”", org="望湖之家", stage="入园孵化"),
           "评审会通过", "/orgs/1")
    notify([admin], "org.stage_moved", "第二条")
    headers = api("admin")
    listed = client.get("/api/v1/notifications?unread=true", headers=headers).get_json()
    assert listed["total"] == 2
    first = listed["items"][1]
    assert first["subject"] == "望湖之家 的孵化阶段已变更为“入园孵化”" and first["body"] == "评审会通过"
    assert first["kind"] == "org.stage_moved" and first["url"].endswith("/orgs/1") and first["read"] is False
    marked = client.post(f"/api/v1/notifications/{first['id']}/read", headers=headers).get_json()
    assert marked["read"] is True and marked["read_at"]
    assert client.get("/api/v1/notifications?unread=true", headers=headers).get_json()["total"] == 1
    assert client.post("/api/v1/notifications/read-all", headers=headers).get_json() == {"marked": 1}
    assert client.get("/api/v1/notifications", headers=headers).get_json()["total"] == 2


def test_someone_elses_notice_is_a_404_in_the_api(client, api, users):
    notice = notify([users["admin"]], "org.stage_moved", "给管理员的")
    from incubator.notifications.models import Notification
    from incubator.extensions import db
    theirs = db.session.scalar(db.select(Notification.id).where(Notification.notice_id == notice.id))
    headers = api("fangxing-mgr")
    response = client.post(f"/api/v1/notifications/{theirs}/read", headers=headers)
    assert response.status_code == 404 and response.get_json()["errors"][0]["message"] == "通知不存在"
    assert client.get("/api/v1/notifications", headers=headers).get_json()["total"] == 0


def test_the_notifications_api_needs_a_token(client, network):
    assert client.get("/api/v1/notifications").status_code == 401
