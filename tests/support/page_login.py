"""Logging in to a token server's page over real HTTP, as a browser does (CSRF cookie, form)."""

from __future__ import annotations

import re

import httpx


def csrf(client: httpx.Client, page: str = "/new") -> str:
    """The CSRF token a page is rendered with (its cookie is now in the client)."""
    response = client.get(page)
    match = re.search(r'name="csrf-token" content="([^"]+)"', response.text)
    assert match, response.text[:300]
    return match.group(1)


def log_in(client: httpx.Client, token: str, **headers: str) -> httpx.Response:
    """POST the login form with `token`; a right one answers 303 and sets `vidpipe_session`."""
    form = {"csrf_token": csrf(client, "/login"), "token": token, "next": "/"}
    return client.post("/login", data=form, headers=headers)


def log_out(client: httpx.Client) -> httpx.Response:
    """**Lock**: POST /logout with the CSRF token of the page the client last had."""
    return client.post("/logout", data={"csrf_token": csrf(client, "/")})
