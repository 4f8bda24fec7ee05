"""Liveness and readiness: what Kubernetes probes."""

from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from assetwatch.api import responses
from assetwatch.api.deps import runtime_of
from assetwatch.api.problems import problem

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    status: Literal["ready"] = "ready"
    revisions: list[str]


@router.get("/healthz", response_model=Health, summary="Liveness: the process is up (no DB)")
async def healthz() -> Health:
    return Health()


@router.get(
    "/readyz",
    response_model=Readiness,
    summary="Readiness: the database answers and its schema is at this build's head",
    responses=responses.UNAVAILABLE,
)
async def readyz(request: Request) -> Readiness | JSONResponse:
    runtime = runtime_of(request)
    expected = runtime.head_revisions
    try:
        current = await runtime.database.schema_revisions()
    except Exception:  # any failure to reach the database means "not ready"
        return problem(503, "the database is not reachable")
    if current != expected:
        return problem(
            503,
            f"schema at {sorted(current) or 'no revision'}, expected {sorted(expected)}",
        )
    return Readiness(revisions=sorted(current))
