"""The administrator links a person to their organization (the contact person, 联系人)."""
from incubator.extensions import db
from incubator.users.models import User


def _form(user, **changes):
    data = {"username": user.username, "name": user.name, "phone": "", "role": user.role,
            "active": "y", "password": ""}
    data.update(changes)
    return data


def test_admin_links_a_trainee_to_an_organization(login_as, client, users, make_org):
    org = make_org(park="fangxing")
    trainee = users["trainee-wang"]
    login_as("admin")
    response = client.post(f"/admin/users/{trainee.id}", data=_form(trainee, organization_id=str(org.id)))
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, trainee.id).organization_id == org.id
    login_as("trainee-wang")
    assert org.name in client.get("/me").get_data(as_text=True)


def test_an_unknown_organization_is_refused_and_nothing_changes(login_as, client, users):
    trainee = users["trainee-wang"]
    login_as("admin")
    response = client.post(f"/admin/users/{trainee.id}", data=_form(trainee, organization_id="999999"))
    assert response.status_code == 200 and "所属组织不存在" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, trainee.id).organization_id is None
