"""Dashboard cards and menu links for the buy-social directory, the skills register and the spend report."""

from flask import url_for

from kernel.navigation import Card, Link
from organisations.models import User


def cards(user: User) -> list[Card]:
    result = [
        Card(
            "Buy-social directory",
            "Find social enterprises by what they sell and where, see who is verified, and send them an enquiry.",
            [Link("Directory", url_for("directory.index")), Link("Your enquiries", url_for("directory.enquiries"))],
            order=16,
        )
    ]
    for grant in user.grants:
        if grant.member is not None:
            result.append(
                Card(
                    f"Skills: {grant.member.name}",
                    "Record your people's skills and the hours they could spare for other members.",
                    [
                        Link("Skills register", url_for("directory.skills", member_id=grant.member_id)),
                        Link(
                            "Spend with social enterprises",
                            url_for("directory.spend_member", member_id=grant.member_id),
                        ),
                    ],
                    order=17,
                )
            )
        if grant.consortium is not None:
            result.append(
                Card(
                    f"Skills and social enterprises: {grant.consortium.name}",
                    "The consortium's skills and gaps, and how much of its members' spend goes to social enterprises.",
                    [
                        Link(
                            "Skills and gaps", url_for("directory.consortium_skills", consortium_id=grant.consortium_id)
                        ),
                        Link(
                            "Spend with social enterprises",
                            url_for("directory.spend_consortium", consortium_id=grant.consortium_id),
                        ),
                    ],
                    order=25,
                )
            )
    if user.is_admin:
        result.append(
            Card(
                "Skills and social enterprises across the platform",
                "Every consortium's skills and gaps, the skill categories, and the spend with social enterprises.",
                [
                    Link("Skills and gaps", url_for("directory.platform_skills")),
                    Link("Skill categories", url_for("directory.skill_categories")),
                    Link("Spend with social enterprises", url_for("directory.spend_platform")),
                ],
                order=43,
            )
        )
    return result


def links(user: User) -> list[Link]:
    return [Link("Directory", url_for("directory.index"))]
