"""HTTP API: app factory, routers, HTTP schemas, auth, problem errors."""
