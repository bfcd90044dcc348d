"""A Neo4j URI as messages and documents may show it (no credentials, no query values)."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

__all__ = ["safe_uri", "has_credentials"]


def _credentials_cut(uri: str) -> str:
    """``uri`` without what precedes its last ``@`` after the scheme.

    A Bolt URI has no ``@`` but the one that ends ``user:password@``; cutting at the *last* one keeps
    a password with ``/``, ``#``, ``?`` or ``@`` in it out of sight, where URI parsing would end the
    authority at that character and take part of the password for the host or the path."""
    if "@" not in uri:
        return uri
    head, sep, rest = uri.partition("://")
    if sep:
        return f"{head}{sep}" + rest.rsplit("@", 1)[1]
    head, sep, rest = uri.partition(":")  # "neo4j:user:password@host": no authority to parse
    return (f"{head}:…@" if sep else "…@") + uri.rsplit("@", 1)[1]


def has_credentials(uri: str) -> bool:
    """Does ``uri`` carry a ``user[:password]@`` part (in any form, parsable or not)?"""
    return "@" in uri


def safe_uri(uri: str) -> str:
    """The URI as messages may show it: without any ``user:password@`` part (also where the ``//`` is
    missing, as in ``neo4j:secret@host``, or the password holds ``/``, ``#``, ``?`` or ``@``) and with
    the values of its query string hidden (a routing context, or a password put there by mistake)."""
    try:
        parts = urlsplit(_credentials_cut(uri))  # no userinfo is left to parse
    except ValueError:
        return "<unparsable URI>"
    if parts.query:
        parts = parts._replace(query="&".join(f"{kv.split('=', 1)[0]}=…" for kv in parts.query.split("&")))
    return urlunsplit(parts._replace(fragment=""))
