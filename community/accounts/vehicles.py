"""Vehicle catalogue and VIN handling (validation by the ``vininfo`` library, storage as a keyed hash)."""
from __future__ import annotations

import hashlib
import hmac

from flask import current_app
from flask_babel import lazy_gettext as _l
from vininfo import Vin
from vininfo.exceptions import ValidationError as VinFormatError

# Models and hardware the brand sells; labels are what owners see.
MODELS = {"001": "001", "007": "007", "009": "009", "7X": "7X", "MIX": "MIX", "X": "X"}
HARDWARE = {
    "lidar": _l("Lidar"),
    "adas_gen1": _l("Assisted driving, 1st generation"),
    "adas_latest": _l("Assisted driving, newest system"),
    "air_suspension": _l("Air suspension"),
    "heat_pump": _l("Heat pump"),
}
MODEL_YEARS = tuple(range(2021, 2027))


def normalise_vin(raw: str) -> str:
    return "".join((raw or "").split()).upper()


def vin_problem(vin: str) -> str | None:
    """Why ``vin`` (already normalised) is not a valid VIN, or None when it is.

    Checks: 17 characters, ISO 3779 alphabet (no I, O, Q), and the position-9 check digit.
    """
    if len(vin) != 17:
        return str(_l("A VIN has exactly 17 characters."))
    try:
        parsed = Vin(vin)
    except VinFormatError:
        return str(_l("A VIN uses only digits and the letters A-Z except I, O and Q."))
    if not parsed.verify_checksum(check_year=False):
        return str(_l("The check digit (9th character) does not match; please re-check the VIN."))
    return None


def with_check_digit(vin17: str) -> str:
    """Return ``vin17`` with position 9 replaced by the check digit that makes it valid (demo and tests)."""
    for digit in "0123456789X":
        candidate = vin17[:8] + digit + vin17[9:]
        if Vin(candidate).verify_checksum(check_year=False):
            return candidate
    raise ValueError(f"no check digit validates {vin17!r}")


def vin_hash(vin: str) -> str:
    """HMAC-SHA256 of the VIN keyed by VIN_HASH_KEY (default SECRET_KEY): 64 hex chars."""
    key = current_app.config.get("VIN_HASH_KEY") or current_app.config["SECRET_KEY"]
    return hmac.new(key.encode(), vin.encode(), hashlib.sha256).hexdigest()
