"""How a run is executed: in the foreground (CLI) or in the API server's background pool."""
