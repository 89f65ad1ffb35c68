"""One root error with branches; only ``api/`` maps them to HTTP status codes."""
from __future__ import annotations


class TalentSearchError(Exception):
    """Root of every error the engine raises on purpose."""


class QueryError(TalentSearchError):
    """A query or filter the engine cannot run (HTTP 422)."""


class QuerySyntaxError(QueryError):
    """A Boolean query that does not parse.

    ``column`` is 1-based, counted in characters of the query text, and points at the
    offending token (or one past the end when the query stopped early).
    """

    def __init__(self, message: str, *, query: str, column: int, expected: str | None = None):
        self.query = query
        self.column = column
        self.expected = expected
        self.reason = message
        super().__init__(f"{message} at column {column}" + (f" (expected {expected})" if expected else ""))

    def caret(self) -> str:
        """The query with a caret under the offending column, for terminals."""
        return f"{self.query}\n{' ' * (self.column - 1)}^"


class FilterError(QueryError):
    """A filter value that is invalid (unknown city, negative radius, min > max...)."""

    def __init__(self, message: str, *, field: str):
        self.field = field
        super().__init__(f"{field}: {message}")


class ValidationError(TalentSearchError):
    """Input data that does not follow the profile schema."""


class NotFoundError(TalentSearchError):
    """A candidate, index or model that does not exist (HTTP 404)."""


class BackendUnavailableError(TalentSearchError):
    """A backend (index on disk, OpenSearch cluster, encoder) cannot serve (HTTP 503)."""


class MissingDependencyError(TalentSearchError):
    """An optional dependency is not installed; the message names the extra to install."""

    def __init__(self, module: str, extra: str):
        super().__init__(f"optional dependency '{module}' is missing: pip install 'talentsearch[{extra}]'")


class ForbiddenError(TalentSearchError):
    """The caller may not do this (HTTP 403): e.g. a tenant key writing a network profile."""
