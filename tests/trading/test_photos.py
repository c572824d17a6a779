"""Listing photos: checked by their content and size, kept in the database, served with their real type to those
who may see the listing, shown with their alt text, and removed by the listing's member."""

import base64
import io

import pytest
from PIL import Image
from sqlalchemy import func, select

from kernel.errors import ValidationFailed
from kernel.extensions import db
from organisations.models import Role
from tests import factories
from tests.factories import api_token, field_error, sign_in
from tests.trading.conftest import room
from trading import photos, services
from trading.models import Listing, ListingPhoto


def image(kind: str = "PNG", size: tuple[int, int] = (40, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "teal").save(out, kind)
    return out.getvalue()


def test_jpeg_png_and_webp_are_taken_with_their_real_type_and_size():
    assert photos.check(image("JPEG")).media_type == "image/jpeg"
    assert photos.check(image("WEBP")).media_type == "image/webp"
    checked = photos.check(image("PNG", (40, 30)))
    assert (checked.media_type, checked.width, checked.height) == ("image/png", 40, 30)


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "empty"),
        (b"%PDF-1.7 a document renamed photo.jpg", "not a JPEG, PNG or WebP"),
        (image("GIF"), "not a JPEG, PNG or WebP"),
        (image("PNG")[:60], "damaged or incomplete"),
        (b"\xff\xd8\xff" + b"\x00" * (photos.MAX_BYTES + 1), "larger than 5 MB"),
    ],
    ids=["empty", "pdf", "gif", "truncated", "too big"],
)
def test_anything_else_is_refused_saying_why(data, message):
    with pytest.raises(photos.NotAPhoto, match=message):
        photos.check(data)


def test_a_photo_needs_its_alt_text_and_a_listing_takes_a_few(traders):
    listing, _ = room(traders)
    with pytest.raises(ValidationFailed) as refused:
        services.add_photo(traders.seller_user, listing, image(), "  ")
    assert "alt_text" in refused.value.fields
    for n in range(photos.PER_LISTING):
        services.add_photo(traders.seller_user, listing, image(), f"Room seen from the door {n}")
    with pytest.raises(Exception, match="at most 6 photos"):
        services.add_photo(traders.seller_user, listing, image(), "One too many")
    assert db.session.scalar(select(func.count(ListingPhoto.id))) == photos.PER_LISTING


def test_a_photo_uploaded_with_the_listing_is_shown_and_served_with_its_type(app, traders):
    seller, buyer = app.test_client(), app.test_client()
    sign_in(seller, traders.seller_user)
    sign_in(buyer, traders.buyer_user)
    form = {
        "member_id": traders.seller.id,
        "kind": "room",
        "title": "Meeting room for 8",
        "description": "A bright room.",
        "member_price": "25.00",
        "vat_rate": "standard",
        "hours_period": "week",
        "free_cancel_days": "2",
        "cancel_fee_percent": "0",
        "alt_text": "A table for eight under a skylight",
        "photo": (io.BytesIO(image("JPEG")), "../../etc/passwd.jpg"),
    }
    made = seller.post("/trading/listings/new", data=form, content_type="multipart/form-data")
    assert made.status_code == 302
    listing = db.session.scalars(select(Listing)).one()
    photo = listing.photos[0]
    assert (photo.media_type, photo.alt_text) == ("image/jpeg", "A table for eight under a skylight")
    page = buyer.get(f"/trading/listings/{listing.id}").get_data(as_text=True)
    url = f"/trading/listings/{listing.id}/photos/{photo.id}"
    assert f'src="{url}" alt="A table for eight under a skylight"' in page
    served = buyer.get(url)
    assert served.status_code == 200 and served.mimetype == "image/jpeg" and served.data == image("JPEG")
    assert "passwd" not in served.headers.get("Content-Disposition", "")


def test_a_bad_upload_is_a_form_error_and_stores_nothing(app, traders):
    listing, _ = room(traders)
    seller = app.test_client()
    sign_in(seller, traders.seller_user)
    answer = seller.post(
        f"/trading/listings/{listing.id}/photos",
        data={"alt_text": "Our room", "photo": (io.BytesIO(b"MZ\x90\x00 an executable"), "room.png")},
        content_type="multipart/form-data",
    )
    assert answer.status_code == 422
    assert "not a JPEG, PNG or WebP image" in field_error(answer, "photo")
    assert db.session.scalar(select(func.count(ListingPhoto.id))) == 0


def test_only_the_listing_s_member_removes_a_photo_and_others_of_another_consortium_never_see_it(app, traders, world):
    listing, _ = room(traders)
    photo = services.add_photo(traders.seller_user, listing, image(), "The room")
    db.session.commit()
    url = f"/trading/listings/{listing.id}/photos/{photo.id}"
    stranger = app.test_client()
    sign_in(stranger, factories.user("leith@example.org", (Role.MEMBER, world.other_member.id)))
    assert stranger.get(url).status_code == 404
    buyer = app.test_client()
    sign_in(buyer, traders.buyer_user)
    assert buyer.post(f"{url}/remove").status_code == 302
    assert db.session.get(ListingPhoto, photo.id) is not None
    seller = app.test_client()
    sign_in(seller, traders.seller_user)
    assert seller.post(f"{url}/remove").status_code == 302
    db.session.expire_all()
    assert db.session.get(ListingPhoto, photo.id) is None
    assert seller.get(url).status_code == 404


def test_photos_over_the_api(client, traders):
    listing, _ = room(traders)
    seller, buyer = api_token(traders.seller_user), api_token(traders.buyer_user)
    base = f"/api/v1/trading/listings/{listing.id}/photos"
    body = {"image_base64": base64.b64encode(image("WEBP")).decode(), "alt_text": "Chairs in a circle"}
    made = client.post(base, headers=seller, json=body)
    assert made.status_code == 201 and made.json["media_type"] == "image/webp"
    detail = client.get(f"/api/v1/trading/listings/{listing.id}", headers=buyer).json
    assert [p["alt_text"] for p in detail["photos"]] == ["Chairs in a circle"]
    served = client.get(f"{base}/{made.json['id']}", headers=buyer)
    assert served.mimetype == "image/webp" and served.data == image("WEBP")
    refused = client.post(base, headers=seller, json=body | {"image_base64": base64.b64encode(b"GIF89a").decode()})
    assert refused.status_code == 422 and "photo" in refused.json["error"]["fields"]
    not_base64 = client.post(base, headers=seller, json=body | {"image_base64": "!!"})
    assert not_base64.status_code == 422 and "image_base64" in not_base64.json["error"]["fields"]
    assert client.post(base, headers=buyer, json=body).status_code == 403
    assert client.delete(f"{base}/{made.json['id']}", headers=seller).status_code == 200
    assert client.get(f"/api/v1/trading/listings/{listing.id}", headers=buyer).json["photos"] == []
