"""Crafted input to the certificates plugin: names, searches."""
from incubator.extensions import db
from plugins.certificates import queries
from plugins.certificates.models import Certificate


def test_a_reissue_refuses_a_name_with_a_line_break_or_an_override(academy, users, fire_completed, client, api):
    fire_completed(academy.complete(users["trainee-wang"], academy.offering()))
    cert = db.session.scalars(db.select(Certificate)).one()
    for name in ("王\n小明", "王\u202e明"):
        response = client.post(f"/api/v1/certificates/{cert.id}/reissue", headers=api("fangxing-mgr"),
                               json={"holder_name": name})
        assert response.status_code == 422, name
    assert db.session.scalar(db.select(db.func.count()).select_from(Certificate)) == 1


def test_percent_and_underscore_are_literal_in_the_certificate_search(academy, users, fire_completed):
    fire_completed(academy.complete(users["trainee-wang"], academy.offering()))
    assert db.session.scalars(queries.certificates_query(q="%")).all() == []
    assert db.session.scalars(queries.certificates_query(q="_")).all() == []
