from cli_helpers import cli_env, vidpipe  # noqa: F401  (fixtures)
