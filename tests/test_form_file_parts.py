"""A web form's text field sent as a file part (multipart/form-data): Flask-WTF puts uploads into the form
data, so the field's value is a FileStorage and WTForms' Length validator raises TypeError (a 500)."""
from __future__ import annotations

import io

import pytest

from tests import factories as f


@pytest.mark.xfail(strict=True, reason="review finding, not fixed: a text field given a file part answers 500")
def test_a_text_field_sent_as_a_file_part_is_refused_not_a_server_error(app, client):
    p = f.proposal(title="Files")
    member = f.owner()
    with client.session_transaction() as sess:
        sess["_user_id"], sess["_fresh"] = member.get_id(), True
    client.application.config["PROPAGATE_EXCEPTIONS"] = False
    resp = client.post(f"/proposals/{p.id}/comments", data={"body": (io.BytesIO(b"hello"), "body.txt")},
                       content_type="multipart/form-data")
    assert resp.status_code < 500
