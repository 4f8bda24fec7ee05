"""Database layer: Core tables, imperative mappers, engine, repositories, unit of work."""
