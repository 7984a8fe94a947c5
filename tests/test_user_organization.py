"""The administrator's user form does not make anyone an organization's contact (联系人): that is
granted on the organization's page by its park (tests/test_membership.py). The form shows the link."""
from incubator.extensions import db
from incubator.users.models import User

from .helpers import page_text


def _form(user, **changes):
    data = {"username": user.username, "name": user.name, "phone": "", "role": user.role, "active": "y"}
    data.update(changes)
    return data


def test_the_admins_user_form_cannot_link_a_person_to_an_organization(login_as, client, users, make_org):
    org = make_org(park="fangxing")
    trainee = users["trainee-wang"]
    login_as("admin")
    assert "所属组织编号" not in page_text(client.get(f"/admin/users/{trainee.id}"))
    response = client.post(f"/admin/users/{trainee.id}", data=_form(trainee, organization_id=str(org.id)))
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, trainee.id).organization_id is None


def test_the_user_page_shows_the_linked_organization_read_only(login_as, client, users, make_org):
    org = make_org(park="fangxing", name="方兴邻里互助会")
    contact = users["trainee-chen"]
    contact.organization_id = org.id
    db.session.commit()
    login_as("admin")
    html = page_text(client.get(f"/admin/users/{contact.id}"))
    assert f'href="/orgs/{org.id}"' in html and "方兴邻里互助会" in html
    assert 'name="organization_id"' not in html
