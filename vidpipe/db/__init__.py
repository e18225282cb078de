"""Database: models (models.py), engine and session factory (engine.py), migrations, queries;
and the statuses (statuses.py), which import nothing, so the CLI's light modules read them
without loading SQLAlchemy."""
