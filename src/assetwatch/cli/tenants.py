"""`assetwatch orgs …` and `assetwatch keys …`: bootstrap tenants and keys."""

from typing import Annotated

import typer

from assetwatch.cli._common import database, err, run_use_case
from assetwatch.domain import Role
from assetwatch.services import tenancy

orgs_app = typer.Typer(help="Organisations (tenants)", no_args_is_help=True)
keys_app = typer.Typer(help="API keys", no_args_is_help=True)


@orgs_app.command("create")
def orgs_create(
    slug: Annotated[str, typer.Option(help="short unique name, e.g. acme")],
    name: Annotated[str, typer.Option(help="display name")],
) -> None:
    """Create an organisation."""
    with database() as url:
        org = run_use_case(
            url, lambda runtime: tenancy.create_organization(runtime.unit_of_work(), slug, name)
        )
    typer.echo(f"organisation {org.slug} (id {org.id}): {org.name}")


@keys_app.command("create")
def keys_create(
    org: Annotated[str, typer.Option(help="organisation slug")],
    role: Annotated[Role, typer.Option(help="admin, writer or reader")] = Role.reader,
    name: Annotated[str, typer.Option(help="what the key is for")] = "cli",
) -> None:
    """Create an API key. Prints the token once, alone on stdout."""
    with database() as url:
        issued = run_use_case(
            url,
            lambda runtime: tenancy.create_key_for_slug(runtime.unit_of_work(), org, name, role),
        )
    err(f"{role.value} key {issued.key.prefix} for {org}; the secret is shown only now:")
    typer.echo(issued.token)
