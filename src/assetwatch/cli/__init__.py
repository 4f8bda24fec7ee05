"""The `assetwatch` command; one module per command group."""

import logging

import typer

from assetwatch.cli import migrate, seed, serve, smoke, tenants, worker

app = typer.Typer(help="assetwatch: asset telemetry service", no_args_is_help=True)
app.command()(serve.serve)
app.add_typer(migrate.app, name="migrate")
app.add_typer(tenants.orgs_app, name="orgs")
app.add_typer(tenants.keys_app, name="keys")
app.command()(seed.seed)
app.command()(smoke.smoke)
app.command()(worker.worker)


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.INFO)
    app(prog_name="assetwatch")
