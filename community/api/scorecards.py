"""/api/v1/scorecards: mystery-shopper store and city scorecards (public aggregates only, as ``/scorecards``).

Nothing here reads a report's narrative, comments, photos or shopper: only the grouped scores of
``community.shopper.scorecard``.
"""
from functools import partial

from flask import abort
from flask_babel import get_locale
from marshmallow import Schema, fields, validate

from community.api.fields import Blueprint
from community.api.schemas import error_responses
from community.pledge import service as pledge
from community.shopper import scorecard, stores
from community.shopper.models import STORE_KINDS

URL_PREFIX = "/scorecards"
blp = Blueprint("api_scorecards", __name__, description="Mystery-shopper store and city scorecards.")
_errors = partial(error_responses, blp)

_MONTH = r"^\d{4}-\d{2}$"


def _score(description: str = "0-100; null without scored visits.", **kw):
    return fields.Float(allow_none=True, required=True, validate=validate.Range(0, 100),
                        metadata={"description": description}, **kw)


class ShopperCardSchema(Schema):
    current = _score("Mean of the last 3 months' scored visits (0-100); null without any.")
    trend = fields.Float(allow_none=True, required=True,
                         metadata={"description": "The last scored month minus the one before (points)."})
    rank = fields.Integer(allow_none=True, required=True, validate=validate.Range(1),
                          metadata={"description": "Ties share a rank; null without a current score."})
    reports = fields.Integer(required=True, validate=validate.Range(0),
                             metadata={"description": "Visits in the last 3 months."})
    monthly = fields.List(fields.Float(allow_none=True, validate=validate.Range(0, 100)), required=True,
                          metadata={"description": "One score per month of `months` (null: no visit)."})


class StoreCardSchema(ShopperCardSchema):
    store_id = fields.Integer(required=True)
    name = fields.String(required=True)
    city = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(list(STORE_KINDS)))
    kind_label = fields.String(required=True)


class CityCardSchema(ShopperCardSchema):
    city = fields.String(required=True)


class PromiseScoresSchema(Schema):
    pledge_item_id = fields.Integer(required=True)
    text = fields.String(required=True, metadata={"description": "The promise, in the caller's language."})
    monthly = fields.List(fields.Float(allow_none=True, validate=validate.Range(0, 100)), required=True)


class ScorecardsSchema(Schema):
    months = fields.List(fields.String(validate=validate.Regexp(_MONTH)), required=True,
                         metadata={"description": "YYYY-MM, oldest first, ending with the current month "
                                                  "(Asia/Shanghai)."})
    stores = fields.List(fields.Nested(StoreCardSchema), required=True, metadata={"description": "By rank."})
    cities = fields.List(fields.Nested(CityCardSchema), required=True, metadata={"description": "By rank."})


class StoreScorecardSchema(Schema):
    months = fields.List(fields.String(validate=validate.Regexp(_MONTH)), required=True)
    store = fields.Nested(StoreCardSchema, required=True)
    city = fields.Nested(CityCardSchema, allow_none=True, required=True)
    promises = fields.List(fields.Nested(PromiseScoresSchema), required=True,
                           metadata={"description": "Score per promise and month, for promises observed there."})


def _card(card, **extra) -> dict:
    return {"current": card.current, "trend": card.trend, "rank": card.rank, "reports": card.reports,
            "monthly": card.monthly, **extra}


def _store_card(card, store) -> dict:
    return _card(card, store_id=store.id, name=store.name, city=store.city, kind=store.kind,
                 kind_label=store.kind_label)


@blp.route("")
@blp.etag
@blp.response(200, ScorecardsSchema)
def scorecards():
    """Every active store's and city's score over the last 6 months, ranked (aggregates only)."""
    span = scorecard.months()
    by_id = {s.id: s for s in stores.all_stores(active_only=True)}
    return {"months": span,
            "stores": [_store_card(c, by_id[c.key]) for c in scorecard.ranked(scorecard.store_cards(span=span))],
            "cities": [_card(c, city=c.key) for c in scorecard.ranked(scorecard.city_cards(span=span))]}


@blp.route("/stores/<int:store_id>")
@blp.etag
@blp.response(200, StoreScorecardSchema)
@_errors(404)
def store_scorecard(store_id):
    """One active store: its score, trend, rank, monthly series against its city's, and per promise."""
    store = stores.get_store(store_id)
    if not store.is_active:
        abort(404)
    span = scorecard.months()
    card = scorecard.store_cards(span=span)[store.id]
    city = scorecard.city_cards(span=span).get(store.city)
    locale = str(get_locale() or "zh")[:2]
    return {"months": span, "store": _store_card(card, store),
            "city": _card(city, city=city.key) if city else None,
            "promises": [{"pledge_item_id": item.id, "text": item.text(locale), "monthly": card.items[item.id]}
                         for item in pledge.pledge_items(active_only=False) if item.id in card.items]}
