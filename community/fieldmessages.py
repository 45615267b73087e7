"""Field messages of the API's 422 answers in the caller's language.

marshmallow and webargs write their messages in English, formatted at validation time ("Length must be between
1 and 120."). Each known template is matched back here, its values kept, and the template translated with
gettext, so a zh caller reads zh field messages under the zh top-level message (docs/copy-guide.zh.md: one
language at a time). A message no template matches is returned as it came: the services' own messages are
already translated with ``_()``.
"""
from __future__ import annotations

import re

from flask_babel import gettext as _


def N_(message: str) -> str:
    """Marks ``message`` for the catalogue (pybabel's default keywords); translated when used."""
    return message


# marshmallow's (fields, validators, schema) and webargs' default messages, plus our validators' in
# community.api.fields. {name} marks a value kept from the English message.
_TEMPLATES = [
    ("Missing data for required field.", N_("Missing data for required field.")),
    ("Field may not be null.", N_("Field may not be null.")),
    ("Invalid value.", N_("Invalid value.")),
    ("Invalid input.", N_("Invalid input.")),
    ("Invalid type.", N_("Invalid type.")),
    ("Invalid input type.", N_("Invalid input type.")),
    ("Unknown field.", N_("Unknown field.")),
    ("Invalid JSON body.", N_("Invalid JSON body.")),
    ("Not a valid string.", N_("Not a valid string.")),
    ("Not a valid utf-8 string.", N_("Not a valid utf-8 string.")),
    ("Not a valid integer.", N_("Not a valid integer.")),
    ("Not a valid number.", N_("Not a valid number.")),
    ("Number too large.", N_("Number too large.")),
    ("Special numeric values (nan or infinity) are not permitted.",
     N_("Special numeric values (nan or infinity) are not permitted.")),
    ("Not a valid boolean.", N_("Not a valid boolean.")),
    ("Not a valid date.", N_("Not a valid date.")),
    ("Not a valid datetime.", N_("Not a valid datetime.")),
    ("Not a valid aware datetime.", N_("Not a valid aware datetime.")),
    ("Not a valid naive datetime.", N_("Not a valid naive datetime.")),
    ("Not a valid time.", N_("Not a valid time.")),
    ("Not a valid period of time.", N_("Not a valid period of time.")),
    ("Not a valid list.", N_("Not a valid list.")),
    ("Not a valid delimited list.", N_("Not a valid delimited list.")),
    ("Not a valid tuple.", N_("Not a valid tuple.")),
    ("Not a valid mapping type.", N_("Not a valid mapping type.")),
    ("Not a valid email address.", N_("Not a valid email address.")),
    ("Not a valid URL.", N_("Not a valid URL.")),
    ("Not a valid UUID.", N_("Not a valid UUID.")),
    ("String does not match expected pattern.", N_("String does not match expected pattern.")),
    ('"{input}" cannot be formatted as a {kind}.', N_('"%(input)s" cannot be formatted as a %(kind)s.')),
    ("Must be one of: {choices}.", N_("Must be one of: %(choices)s.")),
    ("One or more of the choices you made was not in: {choices}.",
     N_("One or more of the choices you made was not in: %(choices)s.")),
    ("Must be equal to {other}.", N_("Must be equal to %(other)s.")),
    ("Shorter than minimum length {min}.", N_("Shorter than minimum length %(min)s.")),
    ("Longer than maximum length {max}.", N_("Longer than maximum length %(max)s.")),
    ("Length must be between {min} and {max}.", N_("Length must be between %(min)s and %(max)s.")),
    ("Length must be {equal}.", N_("Length must be %(equal)s.")),
    ("Must be greater than or equal to {min} and less than or equal to {max}.",
     N_("Must be greater than or equal to %(min)s and less than or equal to %(max)s.")),
    ("Must be greater than or equal to {min}.", N_("Must be greater than or equal to %(min)s.")),
    ("Must be less than or equal to {max}.", N_("Must be less than or equal to %(max)s.")),
    ("Must be greater than {min}.", N_("Must be greater than %(min)s.")),
    ("Must be less than {max}.", N_("Must be less than %(max)s.")),
    ("Must be in the years {first}-{last}.", N_("Must be in the years %(first)s-%(last)s.")),
    ("Text must not contain NUL characters.", N_("Text must not contain NUL characters.")),
    ("Must not be blank.", N_("Must not be blank.")),
]


def _compile(template: str) -> re.Pattern:
    parts = re.split(r"\{(\w+)\}", template)
    pattern = "".join(f"(?P<{p}>.+?)" if i % 2 else re.escape(p) for i, p in enumerate(parts))
    return re.compile(pattern)


_MATCHERS: list[tuple[re.Pattern, str]] = [(_compile(english), mine) for english, mine in _TEMPLATES]


def translate(message: str) -> str:
    """One English marshmallow/webargs message in the request's language; unknown messages unchanged."""
    for pattern, mine in _MATCHERS:
        found = pattern.fullmatch(message)
        if found:
            return _(mine, **found.groupdict())
    return message


def translate_all(messages):
    """``translate`` over webargs' nested messages: a string, a list of them, or a dict (list indexes and
    nested fields) of those, keeping the shape."""
    if isinstance(messages, str):
        return translate(messages)
    if isinstance(messages, dict):
        return {key: translate_all(value) for key, value in messages.items()}
    if isinstance(messages, (list, tuple)):
        return [translate_all(value) for value in messages]
    return messages
