"""Demo: cars waiting for verification carry proof, so a moderator sees the queue as it works.

The proof photos are drawn here with Pillow at load time (never downloaded): a page laid out like a vehicle
licence (行驶证) and one like a purchase invoice, each marked as a sample, showing the car's VIN. Each car's
VIN is made again so its 10th character names the claimed model year; one car's claim is a year off, so the
queue shows what a mismatch looks like.
"""
from __future__ import annotations

import io
import random
from datetime import timedelta
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from community.accounts import evidence
from community.accounts.models import Vehicle
from community.accounts.vehicles import vin_hash, with_check_digit
from community.dbtypes import utcnow
from community.extensions import db

YEAR_CODES = {2021: "M", 2022: "N", 2023: "P", 2024: "R", 2025: "S", 2026: "T"}  # ISO 3779 position 10
FONTS = ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",  # Debian's fonts-noto-cjk
         "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc", "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc")
ALPHABET = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"


def _font(size: int):
    """A CJK font when the system has one (Debian's fonts-noto-cjk), else Pillow's own, which draws Latin only."""
    for path in FONTS:
        if Path(path).exists():
            return ImageFont.truetype(path, size), True
    return ImageFont.load_default(size), False


def demo_vin(rng: random.Random, year: int) -> str:
    """A valid VIN of the demo brand (``LZ``) whose 10th character is ``year``'s code."""
    body = "LZ" + "".join(rng.choice(ALPHABET) for _ in range(6)) + "0" + YEAR_CODES[year] + \
        "".join(rng.choice(ALPHABET) for _ in range(7))
    return with_check_digit(body)


def proof_image(kind: str, vin: str, owner: str, model: str, year: int) -> bytes:
    """A JPEG laid out like a vehicle licence or a purchase invoice, marked as a sample."""
    big, cjk = _font(40)
    text, _ = _font(30)
    small, _ = _font(22)
    licence = kind == "licence"
    img = Image.new("RGB", (1200, 780), (233, 242, 236) if licence else (250, 248, 240))
    draw = ImageDraw.Draw(img)
    draw.rectangle((24, 24, 1176, 756), outline=(60, 90, 70) if licence else (150, 60, 50), width=4)
    if licence and cjk:
        title = "中华人民共和国机动车行驶证"
        rows = [("号牌号码", "沪A·D" + vin[-5:]), ("车辆类型", "小型轿车"), ("所有人", owner),
                ("品牌型号", f"共创 {model}"), ("车辆识别代号", vin), ("注册日期", f"{year}-03-18")]
    elif licence:
        title = "Motor Vehicle Licence (PRC)"
        rows = [("Plate", "HU A-D" + vin[-5:]), ("Type", "Passenger car"), ("Owner", owner),
                ("Model", f"Cocreate {model}"), ("VIN", vin), ("Registered", f"{year}-03-18")]
    elif cjk:
        title = "机动车销售统一发票"
        rows = [("购买方名称", owner), ("车辆类型", "纯电动轿车"), ("厂牌型号", f"共创 {model} {year}"),
                ("车架号码", vin), ("价税合计", "¥ 259,800.00"), ("开票日期", f"{year}-03-02")]
    else:
        title = "Motor Vehicle Sales Invoice"
        rows = [("Buyer", owner), ("Type", "Electric car"), ("Model", f"Cocreate {model} {year}"),
                ("VIN", vin), ("Total", "CNY 259,800.00"), ("Date", f"{year}-03-02")]
    draw.text((600, 80), title, font=big, fill=(30, 50, 40), anchor="mm")
    y = 170
    for label, value in rows:
        draw.text((90, y), label, font=text, fill=(80, 80, 80))
        draw.text((380, y), value, font=text, fill=(10, 10, 10))
        draw.line((380, y + 44, 1100, y + 44), fill=(190, 190, 190), width=1)
        y += 86
    draw.text((600, 720), "样例 · 演示数据 · SAMPLE" if cjk else "SAMPLE · DEMO DATA", font=small,
              fill=(170, 60, 60), anchor="mm")
    out = io.BytesIO()
    img.save(out, "JPEG", quality=85)
    return out.getvalue()


def load(ctx) -> None:
    """Give the crowd's pending cars proof: a licence, an invoice, and a licence whose VIN says another year."""
    rng = random.Random(ctx.rng.random())
    pending = Vehicle.query.filter_by(status="pending").order_by(Vehicle.id).limit(3).all()
    for i, vehicle in enumerate(pending):
        kind = "invoice" if i == 1 else "licence"
        # the third car was claimed as a year newer than its VIN says: the queue flags the difference
        vin_year = vehicle.model_year - 1 if i == 2 and vehicle.model_year - 1 in YEAR_CODES else vehicle.model_year
        vin = demo_vin(rng, vin_year)
        vehicle.vin_hash, vehicle.vin_prefix, vehicle.vin_last4 = vin_hash(vin), vin[:2], vin[-4:]
        vehicle.created_at = utcnow() - timedelta(days=3 - i, hours=rng.randint(1, 9))
        photo = proof_image(kind, vin, vehicle.owner.display_name, vehicle.model, vin_year)
        image = evidence.clean_photo(f"{kind}.jpg", io.BytesIO(photo))
        row = evidence.attach(vehicle, kind, image, vin)
        row.uploaded_at = vehicle.created_at
    db.session.commit()
