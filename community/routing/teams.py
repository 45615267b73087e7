"""The service-pledge teams feedback can be routed to (DOMAIN.md, "pledge team")."""

from __future__ import annotations

#: Team slugs, exactly as the app stores them. The router predicts only these (or abstains).
TEAMS: tuple[str, ...] = (
    "sales",
    "delivery",
    "after_sales",
    "charging",
    "app_connectivity",
    "assisted_driving",
    "vehicle_quality",
    "finance_insurance",
    "community_events",
)
