"""Authentication, roles and the admin key endpoints."""

import httpx
import pytest

from assetwatch.domain import Role

from .conftest import Tenant

pytestmark = pytest.mark.api


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer nonsense"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer aw_000000000000_wrongsecret"},
    ],
)
async def test_missing_or_invalid_keys_are_401_with_challenge(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await client.get("/v1/assets", headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.headers["content-type"] == "application/problem+json"


async def test_a_wrong_secret_for_a_real_prefix_is_401(
    client: httpx.AsyncClient, acme: Tenant
) -> None:
    token = acme.tokens[Role.admin]
    forged = token[: token.rindex("_") + 1] + "x" * 43
    assert (
        await client.get("/v1/assets", headers={"Authorization": f"Bearer {forged}"})
    ).status_code == 401


async def test_roles_nest_admin_over_writer_over_reader(
    client: httpx.AsyncClient, acme: Tenant
) -> None:
    create = {"name": "Dryer"}
    assert (
        await client.post("/v1/assets", json=create, headers=acme.auth(Role.reader))
    ).status_code == 403
    assert (
        await client.post("/v1/assets", json=create, headers=acme.auth(Role.writer))
    ).status_code == 201
    assert (await client.get("/v1/api-keys", headers=acme.auth(Role.writer))).status_code == 403
    assert (await client.get("/v1/api-keys", headers=acme.auth(Role.admin))).status_code == 200
    assert (await client.get("/v1/assets", headers=acme.auth(Role.reader))).status_code == 200


async def test_created_key_works_at_once_and_its_secret_is_never_listed(
    client: httpx.AsyncClient, acme: Tenant
) -> None:
    created = await client.post(
        "/v1/api-keys", json={"name": "gateway", "role": "writer"}, headers=acme.auth()
    )
    assert created.status_code == 201
    body = created.json()
    token = body["token"]
    assert token.startswith(f"aw_{body['prefix']}_")
    assert (
        await client.get("/v1/assets", headers={"Authorization": f"Bearer {token}"})
    ).status_code == 200
    listed = (await client.get("/v1/api-keys", headers=acme.auth())).json()
    assert "gateway" in [k["name"] for k in listed["items"]]
    assert token not in str(listed)
    assert all("token" not in k and "secret_hash" not in k for k in listed["items"])


async def test_revoked_key_is_refused_at_once_in_this_process(
    client: httpx.AsyncClient, acme: Tenant
) -> None:
    created = (
        await client.post(
            "/v1/api-keys", json={"name": "temp", "role": "reader"}, headers=acme.auth()
        )
    ).json()
    headers = {"Authorization": f"Bearer {created['token']}"}
    assert (await client.get("/v1/assets", headers=headers)).status_code == 200  # now cached
    revoked = await client.delete(f"/v1/api-keys/{created['id']}", headers=acme.auth())
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] is not None
    assert (await client.get("/v1/assets", headers=headers)).status_code == 401


async def test_revoking_another_organisations_key_is_404(
    client: httpx.AsyncClient, acme: Tenant, globex: Tenant
) -> None:
    mine = (await client.get("/v1/api-keys", headers=acme.auth())).json()["items"][0]["id"]
    assert (await client.delete(f"/v1/api-keys/{mine}", headers=globex.auth())).status_code == 404
    assert (await client.get("/v1/assets", headers=acme.auth())).status_code == 200


async def test_a_key_cannot_revoke_itself_and_keeps_working(
    client: httpx.AsyncClient, acme: Tenant
) -> None:
    prefix = acme.tokens[Role.admin].split("_")[1]
    keys = (await client.get("/v1/api-keys", headers=acme.auth())).json()["items"]
    own = next(k["id"] for k in keys if k["prefix"] == prefix)
    refused = await client.delete(f"/v1/api-keys/{own}", headers=acme.auth())
    assert refused.status_code == 409
    assert refused.json()["type"] == "urn:assetwatch:problem:conflict"
    assert "cannot revoke itself" in refused.json()["detail"]
    listed = (await client.get("/v1/api-keys", headers=acme.auth())).json()["items"]
    assert next(k for k in listed if k["id"] == own)["revoked_at"] is None


async def test_another_admin_key_can_revoke_an_admin_key(
    client: httpx.AsyncClient, acme: Tenant
) -> None:
    second = (
        await client.post(
            "/v1/api-keys", json={"name": "second admin", "role": "admin"}, headers=acme.auth()
        )
    ).json()
    by_second = {"Authorization": f"Bearer {second['token']}"}
    prefix = acme.tokens[Role.admin].split("_")[1]
    keys = (await client.get("/v1/api-keys", headers=by_second)).json()["items"]
    first = next(k["id"] for k in keys if k["prefix"] == prefix)
    assert (await client.delete(f"/v1/api-keys/{first}", headers=by_second)).status_code == 200
    assert (await client.get("/v1/assets", headers=acme.auth())).status_code == 401
