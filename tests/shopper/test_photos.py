"""Uploads are checked by content, capped at 5 MB, and saved without EXIF; the form survives a refusal."""
import io
import os

import pytest
from PIL import Image

from community.errors import ValidationError
from community.shopper import photos, service
from community.shopper.models import ReportPhoto
from tests.shopper import factories as sf


def _exif_with_gps() -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"  # Make
    exif[0x0110] = "Model X1"  # Model
    exif[0x8825] = {1: "N", 2: (31.0, 14.0, 0.0), 3: "E", 4: (121.0, 28.0, 0.0)}  # GPSInfo: Shanghai
    return exif


def test_a_text_file_named_jpg_is_refused(app):
    with pytest.raises(ValidationError) as err:
        photos.clean("x.jpg", io.BytesIO(b"just some text, not a picture\n" * 10))
    assert "x.jpg" in err.value.message and "not a JPEG or PNG" in err.value.message


def test_an_uppercase_jpg_that_is_a_jpeg_is_accepted(app):
    image = photos.clean("IMG_0001.JPG", io.BytesIO(sf.image_bytes("JPEG")))
    assert image.content_type == "image/jpeg" and (image.width, image.height) == (64, 48)


def test_a_png_named_jpg_is_stored_as_png(app):
    image = photos.clean("photo.jpg", io.BytesIO(sf.image_bytes("PNG")))
    assert image.content_type == "image/png" and image.extension == "png"


def test_other_image_formats_are_refused(app):
    gif = io.BytesIO()
    Image.new("RGB", (8, 8)).save(gif, "GIF")
    with pytest.raises(ValidationError):
        photos.clean("a.png", io.BytesIO(gif.getvalue()))


def test_oversize_is_refused(app):
    big = sf.image_bytes("PNG") + b"\0" * (photos.MAX_BYTES + 1)
    with pytest.raises(ValidationError) as err:
        photos.clean("big.png", io.BytesIO(big))
    assert "5 MB" in err.value.message


def test_a_truncated_jpeg_is_refused(app):
    data = sf.image_bytes("JPEG", size=(400, 300))
    with pytest.raises(ValidationError):
        photos.clean("cut.jpg", io.BytesIO(data[: len(data) // 2]))


def test_exif_and_gps_are_removed(app):
    original = sf.image_bytes("JPEG", exif=_exif_with_gps())
    assert Image.open(io.BytesIO(original)).getexif().get(0x8825)  # the test image really has GPS
    cleaned = photos.clean("geo.jpg", io.BytesIO(original))
    reopened = Image.open(io.BytesIO(cleaned.data))
    assert dict(reopened.getexif()) == {}
    assert b"SpyCam" not in cleaned.data and b"Exif" not in cleaned.data


def test_png_text_chunks_are_removed(app):
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Location", "31.23N 121.47E")
    out = io.BytesIO()
    Image.new("RGB", (10, 10)).save(out, "PNG", pnginfo=info)
    cleaned = photos.clean("p.png", io.BytesIO(out.getvalue()))
    assert b"121.47E" not in cleaned.data


def test_photos_are_stored_under_instance_not_static(app):
    author, shop = sf.shopper(), sf.store()
    report = sf.draft(author, shop)
    photo = service.add_photo(report, author, "a.JPG", io.BytesIO(sf.image_bytes()))
    path = os.path.join(app.instance_path, photos.key_of(photo.stored_name))  # the filesystem backend's folder
    assert os.path.exists(path) and "static" not in path
    service.delete_photo(report, author, photo.id)
    assert not os.path.exists(path)


def test_a_photo_uploaded_through_one_host_is_served_by_another(make_app, s3_config, tmp_path):
    """Two app hosts with their own instance folders and the same S3 bucket (moto's server): the upload
    through host A's form is served by host B, and deleting it on B removes it for A too."""
    from community import storage
    from tests.conftest import AuthActions

    host_a, host_b = make_app(**s3_config), make_app(**s3_config)
    host_a.instance_path, host_b.instance_path = str(tmp_path / "a"), str(tmp_path / "b")
    with host_a.app_context():
        author, shop = sf.shopper(), sf.store()
        item, _other = sf.items()
        client_a = host_a.test_client()
        AuthActions(client_a).login_as(author)
        data = _form(shop, item, save="1", photos=[(io.BytesIO(sf.image_bytes()), "GOOD.JPG")])
        assert client_a.post("/shopper/reports/new", data=data, content_type="multipart/form-data").status_code == 302
        [photo] = service.my_reports(author)[0].photos
        photo_id, key = photo.id, photos.key_of(photo.stored_name)
        assert storage.exists(key) and not os.path.exists(tmp_path / "a" / key)  # in the bucket, not on A's disk
    with host_b.app_context():
        client_b = host_b.test_client()
        AuthActions(client_b).login_as(author)
        resp = client_b.get(f"/shopper/photos/{photo_id}")
        assert resp.status_code == 200 and resp.mimetype == "image/jpeg"
        assert resp.get_data()[:3] == b"\xff\xd8\xff" and "no-store" in resp.headers["Cache-Control"]
        report = service.my_reports(author)[0]
        service.delete_photo(report, author, photo_id)
    with host_a.app_context():
        assert not storage.exists(key)


def test_at_most_five_photos(app):
    author, shop = sf.shopper(), sf.store()
    report = sf.draft(author, shop)
    for i in range(5):
        service.add_photo(report, author, f"{i}.png", io.BytesIO(sf.image_bytes("PNG")))
    with pytest.raises(ValidationError):
        service.add_photo(report, author, "6.png", io.BytesIO(sf.image_bytes("PNG")))
    assert ReportPhoto.query.count() == 5


def _form(shop, item, **extra):
    return {"store_id": str(shop.id), "visited_at": "2026-11-01T10:30", "visit_kind": "test_drive",
            "narrative": "Kept narrative", f"score_{item.id}": "4", f"comment_{item.id}": "Kept comment", **extra}


def test_a_rejected_file_keeps_the_rest_of_the_form_and_saves_the_draft(app, client, auth):
    author, shop = sf.shopper(), sf.store()
    item, _other = sf.items()
    auth.login_as(author)
    data = _form(shop, item, save="1", photos=[(io.BytesIO(b"not an image"), "x.jpg"),
                                              (io.BytesIO(sf.image_bytes()), "GOOD.JPG")])
    resp = client.post("/shopper/reports/new", data=data, content_type="multipart/form-data")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "x.jpg is not a JPEG or PNG image" in page
    assert "Kept narrative" in page and "Kept comment" in page
    report = service.my_reports(author)[0]
    assert report.is_draft and report.narrative == "Kept narrative" and len(report.photos) == 1
    assert report.lines and any(line.score == 4 for line in report.lines)


def test_photos_are_served_only_to_author_moderators_and_agents(app, client, auth):
    author, shop = sf.shopper(), sf.store()
    report = sf.draft(author, shop)
    photo = service.add_photo(report, author, "a.jpg", io.BytesIO(sf.image_bytes()))
    url = f"/shopper/photos/{photo.id}"
    auth.login_as(author)
    resp = client.get(url)
    assert resp.status_code == 200 and resp.mimetype == "image/jpeg" and "no-store" in resp.headers["Cache-Control"]
    from tests import factories as f

    auth.login_as(f.moderator())
    assert client.get(url).status_code == 404  # still a draft: only its author
    service.submit(report, author)
    assert client.get(url).status_code == 200
    auth.login_as(f.agent("sales"))
    assert client.get(url).status_code == 200
    auth.login_as(f.owner())
    assert client.get(url).status_code == 404
    auth.logout()
    assert client.get(url).status_code == 302


def test_parallel_uploads_never_pass_the_limit(make_app, is_postgres):
    """12 uploads at once to one draft keep at most 5 photos (a row lock on PostgreSQL, the single
    writer plus a count after the insert on SQLite)."""
    import threading

    from community.accounts.models import User
    from community.extensions import db
    from community.shopper.models import MAX_PHOTOS, ShopperReport

    app = make_app(SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 12, "max_overflow": 0, "pool_timeout": 60}
                   if is_postgres else {})
    with app.app_context():
        author = sf.shopper()
        report = sf.draft(author, sf.store())
        author_id, report_id = author.id, report.id
    data = sf.image_bytes("PNG")
    barrier, stored, refused, crashed = threading.Barrier(12), [], [], []

    def upload(n: int):
        with app.app_context():
            user, draft = db.session.get(User, author_id), db.session.get(ShopperReport, report_id)
            db.session.commit()
            barrier.wait(timeout=60)
            try:
                service.add_photo(draft, user, f"p{n}.png", io.BytesIO(data))
                stored.append(n)
            except ValidationError:
                refused.append(n)
            except Exception as exc:  # noqa: BLE001 - e.g. "database is locked" fails the test
                crashed.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=upload, args=(n,)) for n in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert crashed == []
    with app.app_context():
        assert len(stored) == ReportPhoto.query.filter_by(report_id=report_id).count() <= MAX_PHOTOS
        assert len(stored) + len(refused) == 12
