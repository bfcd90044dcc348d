"""A Neo4j URI as messages and documents may show it (no credentials, no query values)."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

__all__ = ["safe_uri"]


def safe_uri(uri: str) -> str:
    """The URI as messages may show it: without any ``user:password@`` part (also where the ``//`` is
    missing, as in ``neo4j:secret@host``) and with the values of its query string hidden (a routing
    context, or a password put there by mistake)."""
    try:
        parts = urlsplit(uri)
    except ValueError:
        return "<unparsable URI>"
    if parts.username or parts.password:
        host = parts.hostname or ""
        if parts.port:
            host += f":{parts.port}"
        parts = parts._replace(netloc=host)
    if not parts.netloc and "@" in parts.path:  # "neo4j:user:password@host": the part before @ is credentials
        parts = parts._replace(path="…@" + parts.path.rsplit("@", 1)[1])
    if parts.query:
        parts = parts._replace(query="&".join(f"{kv.split('=', 1)[0]}=…" for kv in parts.query.split("&")))
    return urlunsplit(parts._replace(fragment=""))
