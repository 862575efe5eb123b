"""The simulator's sign-in page, where a user approves a stand's login in a browser.

It is opened from a QR code, so it is made for a phone (viewport), and it is a form
that grants access, so it is guarded like one: a CSRF token (double-submit cookie,
SameSite=Strict), back-off on failed sign-ins, and one answer for every failure that
does not prove the password, so that the page never tells a live user code from a
dead one. A user code may be typed in any case, with or without its dash.
"""

from __future__ import annotations

import html
import re
import secrets
import time

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from bridge.cloud.sim.db import SimDB
from bridge.cloud.sim.guard import LoginThrottle

CSRF_COOKIE = "sc_csrf"
PAGE = """<!doctype html><html><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title></head>
<body><h1>{title}</h1>{body}</body></html>"""
WRONG = "Wrong login or password, or not a valid code."


def page(title: str, body: str, status: int = 200, headers: dict[str, str] | None = None
         ) -> HTMLResponse:
    return HTMLResponse(
        PAGE.format(title=html.escape(title), body=body),
        status_code=status,
        headers={"Cache-Control": "no-store", **(headers or {})},
    )


def _form(user_code: str, csrf: str, error: str = "") -> str:
    note = f'<p class="error">{html.escape(error)}</p>' if error else ""
    return f"""{note}<p>A test stand asks to upload reports on your behalf.</p>
<form method="post" action="/auth/device">
<input type="hidden" name="csrf" value="{html.escape(csrf)}">
<label>Code <input name="user_code" value="{html.escape(user_code)}"
 autocapitalize="characters"></label><br>
<label>Login <input name="login" autocomplete="username"></label><br>
<label>Password <input name="password" type="password"></label><br>
<button name="action" value="accept">Accept</button>
<button name="action" value="deny">Deny</button>
</form>"""


def user_code_key(text: str) -> str:
    """A user code as compared: letters and digits only, upper case."""
    return re.sub(r"[^0-9A-Za-z]", "", text).upper()


class SignInPages:
    def __init__(self, db: SimDB, throttle: LoginThrottle | None = None):
        self.db = db
        self.throttle = throttle or LoginThrottle()

    async def show(self, request: Request) -> Response:
        csrf = secrets.token_urlsafe(32)
        response = page("StandCloud sign-in", _form(request.query_params.get("user_code", ""),
                                                    csrf))
        response.set_cookie(CSRF_COOKIE, csrf, httponly=True, samesite="strict",
                            path="/auth/device", secure=request.url.scheme == "https")
        return response

    async def submit(self, request: Request) -> Response:
        form = await request.form()
        csrf = request.cookies.get(CSRF_COOKIE, "")
        if not csrf or not secrets.compare_digest(csrf, str(form.get("csrf", ""))):
            return page("Error", "<p>This form has expired or was not sent from this page:"
                        " open the sign-in link again.</p>", 403)
        user_code = str(form.get("user_code", ""))
        login, password = str(form.get("login", "")), str(form.get("password", ""))
        ip = request.client.host if request.client else "?"
        keys = (f"login:{login}", f"ip:{ip}")
        wait = self.throttle.wait(*keys)
        if wait > 0:
            seconds = int(wait) + 1
            return page("Too many attempts",
                        f"<p>Too many failed sign-ins: try again in {seconds} s.</p>", 429,
                        {"Retry-After": str(seconds)})
        # the password is checked first and always, so that time tells nothing either
        if not self.db.check_password(login, password):
            self.throttle.failed(*keys)
            return page("StandCloud sign-in", _form(user_code, csrf, WRONG), 401)
        self.throttle.succeeded(*keys)
        row = self.db.one(
            "SELECT * FROM device_codes WHERE REPLACE(user_code, '-', '') = ?",
            (user_code_key(user_code),),
        )
        if row is None or row["used"] or row["approved"] is not None:
            return page("Error", "<p>Unknown or already used code: start the login on the"
                        " stand again.</p>", 400)
        if row["expires_at"] < time.time():
            return page("Error", "<p>This code has expired: start the login again.</p>", 400)
        approved = 1 if form.get("action") == "accept" else 0
        self.db.execute(
            "UPDATE device_codes SET login = ?, approved = ? WHERE device_code = ?",
            (login, approved, row["device_code"]),
        )
        if not approved:
            return page("Access denied", "<p>The stand was not authorized.</p>", 403)
        return page("Token issued", "<p>The stand is authorized. You may close this window.</p>")
