"""A Neo4j URI as messages and documents may show it (no credentials, no query values)."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

__all__ = ["safe_uri", "has_credentials"]


def _credentials_cut(uri: str) -> tuple[str, bool]:
    """``uri`` without what precedes its last ``@`` after the scheme, and whether there was one.

    A Bolt URI has no ``@`` but the one that ends ``user:password@``; cutting at the *last* one keeps
    a password with ``/``, ``#``, ``?`` or ``@`` in it out of sight, where URI parsing would end the
    authority at that character and take part of the password for the host or the path."""
    if "@" not in uri:
        return uri, False
    head, sep, rest = uri.partition("://")
    if sep:
        return f"{head}{sep}" + rest.rsplit("@", 1)[1], True
    head, sep, rest = uri.partition(":")  # "neo4j:user:password@host": no authority to parse
    if sep:
        return f"{head}:…@" + rest.rsplit("@", 1)[1], True
    return "…@" + uri.rsplit("@", 1)[1], True


def has_credentials(uri: str) -> bool:
    """Does ``uri`` carry a ``user[:password]@`` part (in any form, parsable or not)?"""
    return _credentials_cut(uri)[1]


def safe_uri(uri: str) -> str:
    """The URI as messages may show it: without any ``user:password@`` part (also where the ``//`` is
    missing, as in ``neo4j:secret@host``, or the password holds ``/``, ``#``, ``?`` or ``@``) and with
    the values of its query string hidden (a routing context, or a password put there by mistake)."""
    uri, _ = _credentials_cut(uri)
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
