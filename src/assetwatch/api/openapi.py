"""The OpenAPI document as clients read it: FastAPI's, with what FastAPI cannot derive.

Generated clients and schemathesis' stateful phase read it, so it names every operation with a
short stable id (the endpoint function's name), links each create operation to what can be done
with what it created, gives the raw-body ingest its named schemas, and lists the 413 that the
body-size limit can answer on every operation with a body.
"""

from functools import partial
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute

from assetwatch.api import responses
from assetwatch.api.schemas import MeasurementBatch

Document = dict[str, Any]
_SCHEMAS = "#/components/schemas/"

# Create operation → {link name: (operation id, {parameter: what of the created resource})}.
_LINKS: dict[str, dict[str, tuple[str, dict[str, str]]]] = {
    "create_asset": {
        "GetAsset": ("get_asset", {"asset_id": "$response.body#/id"}),
        "UpdateAsset": ("update_asset", {"asset_id": "$response.body#/id"}),
        "DeleteAsset": ("delete_asset", {"asset_id": "$response.body#/id"}),
        "CreateSignal": ("create_signal", {"asset_id": "$response.body#/id"}),
        "ListSignals": ("list_signals", {"asset_id": "$response.body#/id"}),
        "LatestOfAsset": ("latest_of_asset", {"asset_id": "$response.body#/id"}),
        "AssetRollups": ("asset_rollups", {"asset_id": "$response.body#/id"}),
    },
    "create_signal": {
        "GetSignal": ("get_signal", {"signal_id": "$response.body#/id"}),
        "UpdateSignal": ("update_signal", {"signal_id": "$response.body#/id"}),
        "DeleteSignal": ("delete_signal", {"signal_id": "$response.body#/id"}),
        "ReadMeasurements": ("read_measurements", {"signal_id": "$response.body#/id"}),
        "SignalRollups": ("signal_rollups", {"signal_id": "$response.body#/id"}),
        "GetAssetOfSignal": ("get_asset", {"asset_id": "$response.body#/asset_id"}),
    },
    "create_key": {
        "RevokeKey": ("revoke_key", {"key_id": "$response.body#/id"}),
    },
}


def operation_id(route: APIRoute) -> str:
    """Each operation's id is its endpoint function's name (`create_asset`), not FastAPI's
    default of name, path and method: short and stable for generated clients."""
    return route.name


def install_document(app: FastAPI) -> None:
    """Serve the refined document at /openapi.json (FastAPI's documented way to extend it)."""
    app.openapi = partial(_document, app)  # type: ignore[method-assign]


def _document(app: FastAPI) -> Document:
    if app.openapi_schema is None:
        document = FastAPI.openapi(app)  # generates and caches it in app.openapi_schema
        _refine(document)
    return app.openapi_schema  # type: ignore[return-value]


def _refine(document: Document) -> None:
    schemas: Document = document.setdefault("components", {}).setdefault("schemas", {})
    _add_ingest_schemas(schemas)
    operations = {
        operation["operationId"]: operation
        for path in document["paths"].values()
        for operation in path.values()
    }
    too_large = responses.TOO_LARGE[413]
    for operation in operations.values():
        if "requestBody" in operation:
            operation["responses"].setdefault(
                "413", {"description": too_large["description"], "content": too_large["content"]}
            )
    _exact_integers(document)
    for source, links in _LINKS.items():
        operations[source]["responses"]["201"]["links"] = {
            name: {"operationId": target, "parameters": parameters}
            for name, (target, parameters) in links.items()
            if target in operations
        }


def _add_ingest_schemas(schemas: Document) -> None:
    """The ingest body is read raw (api/ingest_body.py): its model is registered here."""
    batch = MeasurementBatch.model_json_schema(ref_template=_SCHEMAS + "{model}")
    schemas.update(batch.pop("$defs", {}))
    schemas["MeasurementBatch"] = batch


_BOUNDS = frozenset({"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"})


def _exact_integers(node: Any) -> None:
    """FastAPI's OpenAPI model holds bounds as floats (`36500.0`): whole ones are written as
    integers, as the schemas they came from declare them."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in _BOUNDS and isinstance(value, float) and value.is_integer():
                node[key] = int(value)
            else:
                _exact_integers(value)
    elif isinstance(node, list):
        for item in node:
            _exact_integers(item)
