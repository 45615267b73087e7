"""Stores, shoppers and reports for the shopper tests and the authorization matrix."""
from __future__ import annotations

import io
from datetime import timedelta

from PIL import Image

from community.dbtypes import utcnow
from community.shopper import service, stores
from community.shopper.service import LineInput, ReportInput
from tests import factories as f


def store(name="Shanghai Jing'an sales", city="上海", kind="sales", staff=("王小明", "Li Lei")):
    return stores.save_store(None, None, name=name, city=city, kind=kind, staff_names=list(staff))


def shopper(**kwargs):
    return f.UserFactory(roles=["mystery_shopper"], **kwargs)


def items():
    """Two pledge items: one of sales, one of after-sales."""
    return f.pledge_item("sales", text="Transparent prices"), f.pledge_item("after_sales", text="Repairs quoted first")


def report_input(shop, lines=None, narrative="A calm visit.", visited_at=None, kind="test_drive", general=None):
    data = ReportInput(store_id=shop.id, visited_at=visited_at or utcnow() - timedelta(days=1), visit_kind=kind,
                       narrative=narrative, lines={k: LineInput(*v) for k, v in (lines or {}).items()})
    if general is not None:
        data.lines[None] = LineInput(None, *general)
    return data


def draft(author, shop, lines=None, **kwargs):
    return service.save_draft(None, author, report_input(shop, lines, **kwargs))


def submitted(author, shop, lines=None, now=None, **kwargs):
    report = draft(author, shop, lines, **kwargs)
    service.submit(report, author, now=now)
    return report


def image_bytes(fmt="JPEG", size=(64, 48), exif=None, colour=(200, 30, 30)) -> bytes:
    img = Image.new("RGB", size, colour)
    out = io.BytesIO()
    kwargs = {"exif": exif} if exif is not None else {}
    img.save(out, fmt, **kwargs)
    return out.getvalue()
