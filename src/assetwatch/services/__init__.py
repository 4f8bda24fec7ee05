"""Use cases. They depend on the protocols in `ports`, never on SQLAlchemy or the web."""
