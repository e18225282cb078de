from web_helpers import (  # noqa: F401  (fixtures)
    browser,
    complete_project,
    locked_server,
    locked_web,
    server,
    web,
)
