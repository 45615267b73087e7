"""The eligibility rule: which vehicles may pledge, and the exact reason when one may not."""
from __future__ import annotations

from flask_babel import gettext as _

from community.accounts.vehicles import HARDWARE


def _hw(key: str) -> str:
    return str(HARDWARE.get(key, key))


def ineligibility_reasons(campaign, vehicle) -> list[str]:
    """Every reason ``vehicle`` may not pledge in ``campaign``, in the viewer's language; [] when eligible.

    ``campaign`` has ``models``, ``model_years``, ``hardware_required``, ``hardware_excluded`` (lists;
    empty means any) and ``verified_only``; ``vehicle`` has ``model``, ``model_year``, ``hardware``, ``status``.
    E.g. ["model year 2023 is not in 2024", "no Lidar (required)"].
    """
    reasons = []
    if campaign.verified_only and vehicle.status != "verified":
        reasons.append({"rejected": _("the vehicle's verification was rejected"),
                        "transferred": _("the vehicle was transferred to a new owner")}.get(
                            vehicle.status, _("the vehicle is not verified yet")))
    if campaign.models and vehicle.model not in campaign.models:
        reasons.append(_("model %(model)s is not in %(allowed)s", model=vehicle.model,
                         allowed=", ".join(campaign.models)))
    if campaign.model_years and vehicle.model_year not in campaign.model_years:
        reasons.append(_("model year %(year)s is not in %(allowed)s", year=vehicle.model_year,
                         allowed=", ".join(str(y) for y in campaign.model_years)))
    hardware = set(vehicle.hardware or ())
    for key in campaign.hardware_required or ():
        if key not in hardware:
            reasons.append(_("no %(hardware)s (required)", hardware=_hw(key)))
    for key in campaign.hardware_excluded or ():
        if key in hardware:
            reasons.append(_("already has %(hardware)s", hardware=_hw(key)))
    return reasons


def describe_rule(campaign) -> list[str]:
    """The rule as short lines for the campaign page, e.g. ["Models: 001, 009", "Required: Lidar"]."""
    lines = []
    if campaign.models:
        lines.append(_("Models: %(v)s", v=", ".join(campaign.models)))
    if campaign.model_years:
        lines.append(_("Model years: %(v)s", v=", ".join(str(y) for y in campaign.model_years)))
    if campaign.hardware_required:
        lines.append(_("Required: %(v)s", v=", ".join(_hw(k) for k in campaign.hardware_required)))
    if campaign.hardware_excluded:
        lines.append(_("Not for cars with: %(v)s", v=", ".join(_hw(k) for k in campaign.hardware_excluded)))
    if campaign.verified_only:
        lines.append(_("Verified vehicles only"))
    return lines
