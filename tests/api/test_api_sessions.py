"""The page's login sessions in the database, on SQLite and PostgreSQL: two stores on one
database stand for two servers (the process-level checks are in test_api_shared_sessions.py)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from api_helpers import serving, sqlite_settings  # noqa: F401  (a fixture)
from pydantic import SecretStr
from sqlalchemy import event, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from vidpipe.api import sessions as sessions_module
from vidpipe.api.sessions import SessionStore
from vidpipe.config import Settings
from vidpipe.db.models import LoginSession, utcnow

TOKEN = "store-test-token-7d1e"
HOURS = 12 * 3600


def store(database: async_sessionmaker[AsyncSession], token: str = TOKEN) -> SessionStore:
    opened = SessionStore(token, HOURS)
    opened.attach(database)
    return opened


async def rows(database: async_sessionmaker[AsyncSession]) -> list[LoginSession]:
    async with database() as db:
        return list(await db.scalars(select(LoginSession)))


async def test_a_session_opened_at_one_server_is_live_at_another_until_logout(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    here, there = store(sessions), store(sessions)
    cookie = await here.open()
    assert await there.is_live(cookie)
    assert await here.is_live(cookie)
    await there.close(cookie)  # logout at the other server
    assert not await here.is_live(cookie)
    assert not await there.is_live(cookie)
    assert await rows(sessions) == []


async def test_only_digests_are_kept(sessions: async_sessionmaker[AsyncSession]) -> None:
    cookie = await store(sessions).open()
    (row,) = await rows(sessions)
    assert cookie not in (row.id_digest, row.token_mac) and TOKEN not in row.token_mac
    assert len(row.id_digest) == len(row.token_mac) == 64
    lifetime = row.expires_at - row.created_at
    assert timedelta(hours=12) - timedelta(seconds=1) < lifetime <= timedelta(hours=12)


async def test_a_changed_token_ends_every_session(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    cookie = await store(sessions).open()
    assert not await store(sessions, "another-token-0b9e").is_live(cookie)
    assert await store(sessions).is_live(cookie)  # the row is the same; only the token counts


async def test_a_row_copied_under_another_id_opens_nothing(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """Someone who can write the table but lacks the token cannot mint a session: the HMAC binds
    each row to its own id."""
    known = await store(sessions).open()
    (row,) = await rows(sessions)
    forged = "forged-session-id"
    async with sessions() as db:
        db.add(
            LoginSession(
                id_digest=sessions_module._digest(forged),
                token_mac=row.token_mac,
                expires_at=row.expires_at,
            )
        )
        await db.commit()
    assert await store(sessions).is_live(known)
    assert not await store(sessions).is_live(forged)


async def test_expired_sessions_are_refused_and_purged(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    here = store(sessions)
    old, current = await here.open(), await here.open()
    async with sessions() as db:
        stale = utcnow() - timedelta(seconds=1)
        digest = sessions_module._digest(old)
        await db.execute(
            update(LoginSession).where(LoginSession.id_digest == digest).values(expires_at=stale)
        )
        await db.commit()
    assert not await here.is_live(old)
    assert await here.is_live(current)
    assert len(await rows(sessions)) == 2  # refused, not yet deleted
    await here.open()  # each login deletes the expired ones
    assert len(await rows(sessions)) == 2
    assert sessions_module._digest(old) not in {row.id_digest for row in await rows(sessions)}


async def test_the_table_is_bounded_and_keeps_the_newest(
    sessions: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sessions_module, "MAX_SESSIONS", 3)
    here = store(sessions)
    cookies = [await here.open() for _ in range(5)]
    async with sessions() as db:
        assert await db.scalar(select(func.count()).select_from(LoginSession)) == 3
    assert [await here.is_live(c) for c in cookies] == [False, False, True, True, True]


@pytest.mark.parametrize("cookie", [None, "", "x", "y" * 129, "\ud800", "a'; drop table x;--"])
async def test_anything_else_is_no_session(
    sessions: async_sessionmaker[AsyncSession], cookie: str | None
) -> None:
    here = store(sessions)
    await here.open()
    assert not await here.is_live(cookie)
    await here.close(cookie)  # and closing it changes nothing
    assert len(await rows(sessions)) == 1


async def test_a_request_with_the_cookie_is_checked_once(
    sqlite_settings: Settings,  # noqa: F811  (the fixture)
) -> None:
    """The middleware's lookup lets the request in; the routers' dependency does not ask the
    database again, and a bearer request asks it nothing about sessions."""
    guarded = sqlite_settings.model_copy(update={"api_token": SecretStr(TOKEN)})
    async with serving(guarded) as (app, client):
        cookie = await app.state.web_sessions.open()
        lookups: list[str] = []

        def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
            if "login_sessions" in statement:
                lookups.append(statement.split()[0])

        engine = app.state.sessions.kw["bind"].sync_engine
        event.listen(engine, "before_cursor_execute", seen)
        client.cookies.set("vidpipe_session", cookie)
        assert (await client.get("/api/projects")).status_code == 200
        assert lookups == ["SELECT"]
        client.cookies.clear()
        bearer = {"Authorization": f"Bearer {TOKEN}"}
        assert (await client.get("/api/projects", headers=bearer)).status_code == 200
        assert lookups == ["SELECT"]
