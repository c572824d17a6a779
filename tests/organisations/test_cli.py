"""Commands for deployments: users, tokens and the demo, all safe to run again."""

from sqlalchemy import func, select

from kernel.extensions import db
from organisations import services
from organisations.models import ApiToken, Consortium, Member, Role, Supplier, User
from tests.factories import sign_in

DEMO_DASHBOARDS = {
    "admin@example.org": "Platform admin",
    "secretary@example.org": "Secretary of Tayside",
    "member@example.org": "Re-Tweed Dundee CIC",
    "supplier@example.org": "Supplier: Caledonian Office Supplies Ltd",
}


def row_counts() -> dict[str, int]:
    return {
        table.name: db.session.scalar(select(func.count()).select_from(table)) for table in db.metadata.sorted_tables
    }


def test_create_token_prints_a_working_token_as_its_last_line(runner, client, world):
    result = runner.invoke(args=["create-token", "member@example.org", "--name", "finance sheet"])
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert me.json["email"] == "member@example.org"


def test_create_token_for_an_unknown_email_fails_clearly(runner, world):
    result = runner.invoke(args=["create-token", "nobody-here@example.org"])
    assert result.exit_code != 0
    assert "No user nobody-here@example.org." in result.output


def test_create_user_creates_then_updates_without_duplicating(runner, world):
    args = [
        "create-user",
        "Finance@Example.org",
        "--password",
        "first-password",
        "--role",
        "admin",
        "--role",
        f"member:{world.member.id}",
    ]
    first = runner.invoke(args=args)
    assert first.exit_code == 0, first.output
    user = db.session.scalar(select(User).where(User.email == "finance@example.org"))
    assert sorted((g.role.value, g.scope_id) for g in user.grants) == [("admin", None), ("member", world.member.id)]
    counts = row_counts()

    second = runner.invoke(args=[*args[:3], "second-password", *args[4:]])
    assert second.exit_code == 0, second.output
    db.session.expire_all()
    assert row_counts() == counts
    user = db.session.scalar(select(User).where(User.email == "finance@example.org"))
    assert user.check_password("second-password")
    assert user.is_admin and user.member_ids == {world.member.id}


def test_create_user_grants_secretary_and_supplier_roles(runner, world):
    result = runner.invoke(
        args=[
            "create-user",
            "two-hats@example.org",
            "--password",
            "a-long-password",
            "--role",
            f"secretary:{world.consortium.id}",
            "--role",
            f"supplier:{world.supplier.id}",
        ]
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "two-hats@example.org"))
    assert user.secretary_consortium_ids == {world.consortium.id}
    assert user.supplier_ids == {world.supplier.id}


def test_a_bad_role_spec_gives_a_clear_error_and_creates_nothing(runner, world):
    for spec, message in [
        ("boss", "Unknown role 'boss': use admin, member:ID, secretary:CONSORTIUM_ID or supplier:ID."),
        ("member", "The member role needs a numeric ID, e.g. member:1 (got 'member')."),
        ("member:abc", "The member role needs a numeric ID, e.g. member:1 (got 'member:abc')."),
        ("member:²", "The member role needs a numeric ID, e.g. member:1 (got 'member:²')."),
        ("admin:3", "The admin role takes no ID: 'admin:3'."),
        ("member:999999", "Cannot grant 'member:999999': there is no member 999999."),
        ("secretary:999999", "Cannot grant 'secretary:999999': there is no consortium 999999."),
    ]:
        result = runner.invoke(args=["create-user", "new@example.org", "--password", "a-long-password", "--role", spec])
        assert result.exit_code == 1, spec
        assert message in result.output, spec
        assert "Traceback" not in result.output
        assert isinstance(result.exception, SystemExit)
    db.session.expire_all()
    assert db.session.scalar(select(User).where(User.email == "new@example.org")) is None


def test_demo_again_changes_nothing_and_every_demo_account_signs_in(demo_app):
    runner, client = demo_app.test_cli_runner(), demo_app.test_client()
    counts = row_counts()
    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0, second.output
    db.session.expire_all()
    assert row_counts() == counts

    for email, dashboard_text in DEMO_DASHBOARDS.items():
        signed_in = sign_in(client, services.user_by_email(email), "demo-password")
        assert signed_in.status_code == 302, email
        assert dashboard_text in client.get("/").get_data(as_text=True), email
        client.post("/sign-out")


def test_demo_is_a_realistic_pair_of_consortia(demo_app):
    consortia = db.session.scalars(select(Consortium).order_by(Consortium.name)).all()
    assert [(c.name, c.code) for c in consortia] == [("Lothians", "LOT"), ("Tayside", "TAY")]
    for consortium in consortia:
        assert 3 <= len(consortium.networks) <= 6, consortium.name

    members = db.session.scalars(select(Member)).all()
    assert 35 <= len(members) <= 45
    assert all(
        m.organisation.legal_name
        and m.organisation.contact_email
        and m.organisation.address_line1
        and m.headcount > 0
        and m.turnover_band
        for m in members
    )
    vat_registered = [m for m in members if m.organisation.vat_number]
    assert 0 < len(vat_registered) < len(members)

    suppliers = db.session.scalars(select(Supplier)).all()
    assert len(suppliers) >= 6
    assert 0 < sum(s.buy_social for s in suppliers) < len(suppliers)
    member_organisations = set(db.session.scalars(select(Member.organisation_id)))
    assert any(s.organisation_id in member_organisations for s in suppliers), "a member also sells to its peers"

    member_user = db.session.scalar(select(User).where(User.email == "member@example.org"))
    assert [(g.role, g.member.network.consortium.name) for g in member_user.grants] == [(Role.MEMBER, "Tayside")]


def test_create_user_refuses_what_the_admin_form_refuses(runner, world):
    counts = row_counts()
    for args, message in [
        (["not-an-email", "--password", "a-long-password"], "'not-an-email' is not an email address"),
        (["  ", "--password", "a-long-password"], "is not an email address"),
        (["short@example.org", "--password", "x"], "The password must be 10 to 200 characters long."),
    ]:
        result = runner.invoke(args=["create-user", *args, "--role", "admin"])
        assert result.exit_code == 1, args
        assert message in result.output, args
    db.session.expire_all()
    assert row_counts() == counts


def test_create_token_refuses_a_deactivated_user_and_a_bad_name(runner, world):
    world.member_user.active = False
    db.session.commit()
    refused = runner.invoke(args=["create-token", world.member_user.email])
    assert refused.exit_code == 1 and "is deactivated" in refused.output
    for name in ["", "x" * 101]:
        result = runner.invoke(args=["create-token", world.admin.email, "--name", name])
        assert result.exit_code == 1 and "1 to 100 characters" in result.output
    assert db.session.scalar(select(func.count()).select_from(ApiToken)) == 0


def test_demo_leaves_a_database_with_real_data_alone(runner):
    from tests import factories

    factories.network(factories.consortium("Fife", "FIF"))
    factories.user("real@example.org", (Role.ADMIN, None))
    db.session.commit()
    counts = row_counts()
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "the demo loads only into an empty one" in result.output
    db.session.expire_all()
    assert row_counts() == counts
    assert db.session.scalar(select(Consortium).where(Consortium.code == "TAY")) is None
