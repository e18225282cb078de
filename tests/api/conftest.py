from api_helpers import recorder, sqlite_settings  # noqa: F401  (fixtures)
