from pathlib import Path

import pytest
from web_helpers import (  # noqa: F401  (fixtures)
    SHARED_BROWSER,
    browser,
    complete_project,
    locked_server,
    locked_web,
    server,
    web,
)

HERE = Path(__file__).parent


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    """Before this test's fixtures are torn down: keep the shared Chromium open only if the
    next test on this worker is a browser test too."""
    SHARED_BROWSER.keep_open = nextitem is not None and nextitem.path.parent == HERE


def pytest_sessionfinish() -> None:
    SHARED_BROWSER.close()  # an interrupted run
