"""``trustgraph serve``: the HTTP JSON API (:mod:`trustgraph.service`, docs/service.md)."""

from __future__ import annotations

import os

import click

from .app import Env, FiniteFloat, cli, note, pass_env

__all__ = ["serve"]


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to bind. Any address but loopback needs a bearer token.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="Port to bind.")
@click.option("--token-file", type=click.Path(dir_okay=False), default=None, metavar="FILE",
              help="File whose first line is the bearer token clients must send [or env TRUSTGRAPH_TOKEN]. "
                   "Never given on the command line.")
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Worker processes (each maps the same snapshot files).")
@click.option("--queries", "queries", multiple=True, type=click.Path(file_okay=False), metavar="DIR",
              help="A folder of your own named .cypher queries (repeat) [env TRUSTGRAPH_QUERIES].")
@click.option("--request-timeout", type=FiniteFloat(0.1, 3600), default=30.0, show_default=True,
              help="Seconds a request may take before it is answered 503.")
@click.option("--max-batch", type=click.IntRange(1, 1_000_000), default=10_000, show_default=True,
              help="Most ids in one batch referral lookup.")
@click.option("--max-body", type=click.IntRange(1_000, 1_000_000_000), default=2_000_000, show_default=True,
              help="Largest request body, in bytes.")
@click.option("--log-level", type=click.Choice(["critical", "error", "warning", "info", "debug"]), default="info",
              show_default=True, help="Server log level (requests are logged at info, never with headers).")
@pass_env
def serve(env: Env, host: str, port: int, token_file: str | None, workers: int, queries: tuple[str, ...],
          request_timeout: float, max_batch: int, max_body: int, log_level: str) -> None:
    """Serve every answer over HTTP as JSON documents (read-only; OpenAPI at /openapi.json).

    The same documents as --format json, validated by the same schemas (trustgraph schema), at
    /v1/chain, /v1/referrals/{id} (POST /v1/referrals for batches), /v1/reputation, /v1/exposure/{id}
    ... (docs/service.md). Errors are RFC 9457 problem documents. The compiled snapshot stays in memory
    and a newer store version is picked up without a restart. Binds 127.0.0.1 by default; any other
    address requires a bearer token from --token-file or $TRUSTGRAPH_TOKEN (exit 6 without one).
    """
    from ..service import Limits, ServiceConfig, check_bind, check_port, read_token, run

    token = read_token(token_file)
    check_bind(host, token)
    check_port(host, port)
    settings = env.settings
    env.store.version()  # the store must exist and answer before the server starts (exit 5)
    if settings.neo4j_password:
        os.environ["NEO4J_PASSWORD"] = settings.neo4j_password  # worker processes read it from there
    folders = list(queries) or [p for p in os.environ.get("TRUSTGRAPH_QUERIES", "").split(os.pathsep) if p]
    config = ServiceConfig(
        store=None if settings.neo4j_uri else str(settings.sqlite_path), neo4j_uri=settings.neo4j_uri,
        neo4j_username=settings.neo4j_username, neo4j_database=settings.neo4j_database, queries=folders,
        limits=Limits(max_body_bytes=max_body, max_batch=max_batch, request_timeout_s=request_timeout),
        token_required=bool(token))
    note(env, f"trustgraph serve: {settings.describe()} on http://{host}:{port} "
              f"({'bearer token required' if token else 'no token: loopback only'})")
    run(config, host=host, port=port, token=token, workers=workers, log_level=log_level)
