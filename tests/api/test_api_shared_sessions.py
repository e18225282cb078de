"""Page logins kept in the database, with real `vidpipe serve` processes: a login outlives a
restart, several servers on one PostgreSQL database share logins and logouts, and a changed
token or an expired session opens nothing."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from page_login import log_in, log_out
from processes import query, user_env, vidpipe_serve, wait_for

pytestmark = pytest.mark.slow

TOKEN = "shared-sessions-token-3f8a"
COOKIE = "vidpipe_session"


def opens(base: str, cookie: str) -> bool:
    """The session cookie alone opens the API and the page at the server at `base`."""
    with httpx.Client(base_url=base, cookies={COOKIE: cookie}, timeout=30) as client:
        api, page = client.get("/api/projects"), client.get("/")
        assert api.status_code in (200, 401), api.text
        assert (api.status_code == 200) == (page.status_code == 200), page.status_code
        return api.status_code == 200


def login_at(base: str, token: str = TOKEN) -> str:
    with httpx.Client(base_url=base, timeout=30) as client:
        assert log_in(client, token).status_code == 303
        return client.cookies[COOKIE]


def test_a_login_outlives_a_restart_and_an_expired_one_is_refused(tmp_path: Path) -> None:
    data, log = tmp_path / "data", tmp_path / "server.log"
    env = user_env(data, VIDPIPE_API_TOKEN=TOKEN)
    with vidpipe_serve(env, log) as (_, base):
        cookie = login_at(base)
        assert opens(base, cookie)
    short = {**env, "VIDPIPE_SESSION_HOURS": str(2 / 3600)}  # a login lasts 2 s
    with vidpipe_serve(short, log) as (_, base):  # a new process on the same database
        assert opens(base, cookie)  # kept its 12 hours
        brief = login_at(base)
        assert opens(base, brief)
        wait_for(lambda: not opens(base, brief), timeout=20, every=0.5)
        assert opens(base, cookie)
        assert len(query(data / "vidpipe.db", "SELECT * FROM login_sessions")) == 2
        login_at(base)  # a login deletes the expired ones
        assert len(query(data / "vidpipe.db", "SELECT * FROM login_sessions")) == 2
    assert "Traceback" not in log.read_text(), log.read_text()[-4000:]


@pytest.mark.postgres
def test_servers_on_one_postgresql_database_share_logins_and_logouts(
    tmp_path: Path, migrated_postgres_database_url: str
) -> None:
    shared = {"VIDPIPE_DATABASE_URL": migrated_postgres_database_url, "VIDPIPE_EXECUTION": "queue"}
    one = user_env(tmp_path / "one", VIDPIPE_API_TOKEN=TOKEN, **shared)
    two = user_env(tmp_path / "two", VIDPIPE_API_TOKEN=TOKEN, **shared)
    other = user_env(tmp_path / "three", VIDPIPE_API_TOKEN="another-token-0b9e", **shared)
    log = tmp_path / "servers.log"
    with vidpipe_serve(one, log) as (_, a), vidpipe_serve(two, log) as (_, b):
        cookie = login_at(a)
        assert opens(b, cookie)  # logged in at one server, let in at the other
        second = login_at(b)
        assert opens(a, second)
        with httpx.Client(base_url=b, cookies={COOKIE: cookie}, timeout=30) as client:
            assert log_out(client).status_code == 303  # Lock at the other server
        assert not opens(a, cookie) and not opens(b, cookie)
        assert opens(a, second)  # only that session ended
        with vidpipe_serve(other, log) as (_, c):  # a server with a new token
            assert not opens(c, second)
            assert login_at(c, "another-token-0b9e")
        assert opens(a, second)  # still valid where the old token is the token
    assert "Traceback" not in log.read_text(), log.read_text()[-4000:]
