"""assetwatch: a REST service for asset telemetry (assets → signals → measurements)."""

__version__ = "0.1.0"
