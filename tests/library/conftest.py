"""Policy library fixtures: documents of each kind, made here, and a template with a published version."""

import io
import zipfile
from datetime import timedelta

import pytest

from kernel.clock import uk_today
from kernel.extensions import db
from library import services
from library.models import PolicyCategory

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def odt() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", "<office:document-content/>")
    return buffer.getvalue()


def draft(text: str = "# Safeguarding\n\nEveryone is safe.\n", note: str = "First version", **changes):
    today = uk_today()
    return services.Draft(
        change_note=note,
        effective_date=changes.pop("effective_date", today),
        review_by=changes.pop("review_by", today + timedelta(days=365)),
        body_markdown=text,
        **changes,
    )


def published(actor, template, text: str = "# Safeguarding\n\nEveryone is safe.\n", note: str = "First version"):
    version = services.add_version(actor, template, draft(text, note))
    services.submit_for_review(actor, version)
    services.publish(actor, version)
    return version


@pytest.fixture
def template(world):
    made = services.create_template(
        world.secretary, world.consortium.id, "Safeguarding policy", PolicyCategory.SAFEGUARDING, "Keeping people safe"
    )
    db.session.commit()
    return made


def adopt_as_is(world, version, member=None):
    today = uk_today()
    from library.models import AdoptionKind

    return services.adopt(
        world.member_user,
        version,
        AdoptionKind.AS_IS,
        today - timedelta(days=1),
        today + timedelta(days=365),
        (member or world.member).id,
    )


def other_secretary(world):
    from organisations.models import Role
    from tests import factories

    return factories.user(None, (Role.SECRETARY, world.other_consortium.id))


def other_member_user(world):
    from organisations.models import Role
    from tests import factories

    return factories.user(None, (Role.MEMBER, world.other_member.id))


def sibling(world):
    from tests import factories

    return factories.member(world.network, "Sibling Bakery CIC")
