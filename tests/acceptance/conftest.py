from cli_helpers import cli_env, vidpipe, vidpipe_process  # noqa: F401  (fixtures)
