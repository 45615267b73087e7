"""Domain errors and the one handler that answers HTML to browsers and JSON to API clients."""
from __future__ import annotations

from flask import jsonify, render_template, request
from werkzeug.exceptions import HTTPException


class DomainError(Exception):
    """A rule refused an action. ``status`` is the HTTP status a view should answer with.

    ``fields`` maps form field names to messages, so a view can show them beside the field.
    """

    status = 400
    code = "invalid"

    def __init__(self, message: str, fields: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class ValidationError(DomainError):
    status = 422
    code = "validation_failed"


class PermissionDenied(DomainError):
    status = 403
    code = "forbidden"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Conflict(DomainError):
    """The action clashes with current state (already voted, closed, duplicate)."""

    status = 409
    code = "conflict"


def wants_json() -> bool:
    """True for API paths and clients that prefer JSON over HTML."""
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def error_response(status: int, code: str, message: str, fields: dict | None = None):
    if wants_json():
        return jsonify(error={"code": code, "message": message, "fields": fields or {}}), status
    template = f"errors/{status}.html" if status in (403, 404, 500) else "errors/generic.html"
    return render_template(template, status=status, message=message), status


def register_errorhandlers(app) -> None:
    @app.errorhandler(DomainError)
    def _domain(err: DomainError):
        return error_response(err.status, err.code, err.message, err.fields)

    @app.errorhandler(HTTPException)
    def _http(err: HTTPException):
        resp = error_response(err.code or 500, (err.name or "error").lower().replace(" ", "_"), err.description or "")
        if err.code == 429 and getattr(err, "retry_after", None):
            resp[0].headers["Retry-After"] = str(err.retry_after)
        return resp

    @app.errorhandler(500)
    def _server(err):
        from community.extensions import db

        db.session.rollback()
        return error_response(500, "server_error", "Something went wrong on our side.")
