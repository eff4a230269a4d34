"""The web server's guard: host and token checks, body limits and security headers."""


from __future__ import annotations

import hmac
import json

MAX_BODY_BYTES = 64 * 1024
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
TOKEN_COOKIE = "boostphase_token"
TOKEN_ENV = "BOOSTPHASE_TOKEN"

# No inline script and no eval: Cesium 1.140's bundle reaches for eval twice at start-up (knockout
# finds the global object with `(0, eval)("this")`; protobufjs probes `eval("require")`), and
# static/preload.js answers both without eval (see there). 'wasm-unsafe-eval' lets WebAssembly
# compile (meshoptimizer's decoder, instantiated at load); it does not allow JavaScript eval.
# Workers come from /cesium/Workers (self) and Cesium makes some from blob: URLs; imagery decodes
# via blob:/data: URLs. Cesium sets inline style attributes, hence style-src 'unsafe-inline'
# (styles only). The browser test fails on any CSP violation the page reports.
CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self' 'wasm-unsafe-eval'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self' data: blob:",
    "worker-src 'self' blob:",
    "child-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]


# ------------------------------------------------------------------------------------------------
# ASGI middleware (pure ASGI: covers the API, the static files and Cesium alike)


async def _send_json(send, status: int, body: dict, headers: list | None = None) -> None:
    data = json.dumps(body).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode()),
                            *SECURITY_HEADERS, *(headers or [])]})
    await send({"type": "http.response.body", "body": data})


class GuardMiddleware:
    """Token or loopback-host check, body size limit and security headers, for every request."""

    def __init__(self, app, token: str | None, max_body: int = MAX_BODY_BYTES):
        self.app = app
        self.token = token.encode() if token else None
        self.max_body = max_body

    def _provided(self, scope) -> tuple[list[bytes], bool]:
        """Tokens offered by the request; and whether one came in the query string."""
        out: list[bytes] = []
        from_query = False
        for k, v in scope.get("headers", []):
            if k == b"authorization" and v[:7].lower() == b"bearer ":
                out.append(v[7:].strip())
            elif k == b"cookie":
                for part in v.split(b";"):
                    name, _, val = part.strip().partition(b"=")
                    if name == TOKEN_COOKIE.encode():
                        out.append(val)
        from urllib.parse import parse_qsl

        for k, v in parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True):
            if k == "token":
                out.append(v.encode("latin-1"))
                from_query = True
        return out, from_query

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        extra_headers: list = []
        if self.token is not None:
            offered, from_query = self._provided(scope)
            ok = False
            for t in offered:  # compare every offered token: no early exit on the secret's content
                ok |= hmac.compare_digest(t, self.token)
            if not ok:
                return await _send_json(send, 401, {"error": "a valid token is required "
                                                    "(Authorization: Bearer TOKEN or ?token=TOKEN)"},
                                        [(b"www-authenticate", b"Bearer")])
            if from_query:
                extra_headers.append((b"set-cookie", f"{TOKEN_COOKIE}={self.token.decode('latin-1')}; "
                                      "HttpOnly; SameSite=Strict; Path=/".encode("latin-1")))
        else:
            host = dict(scope.get("headers", [])).get(b"host", b"").decode("latin-1")
            name = host.rsplit(":", 1)[0] if not host.startswith("[") else host[1:].split("]")[0]
            if name not in LOOPBACK_HOSTS:
                return await _send_json(send, 421, {"error": f"host {host!r} is not served without a token; "
                                                    "start with --token to serve other hosts"})
        headers = dict(scope.get("headers", []))
        cl = headers.get(b"content-length")
        if cl is not None and (not cl.isdigit() or int(cl) > self.max_body):
            return await _send_json(send, 413, {"error": f"request body larger than {self.max_body} bytes"})
        received = 0
        refused = False  # body over the limit: 413 sent, the app's own answer is dropped

        async def limited_receive():
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            msg = await receive()
            if msg["type"] == "http.request":
                received += len(msg.get("body", b""))
                if received > self.max_body:
                    refused = True
                    await _send_json(send, 413, {"error": f"request body larger than {self.max_body} bytes"})
                    return {"type": "http.disconnect"}
            return msg

        async def send_with_headers(msg):
            if refused:
                return
            if msg["type"] == "http.response.start":
                msg = dict(msg)
                msg["headers"] = [*msg.get("headers", []), *SECURITY_HEADERS, *extra_headers]
            await send(msg)

        try:
            await self.app(scope, limited_receive, send_with_headers)
        except Exception:
            if not refused:  # the app gave up on the cut-off body: its error is not the answer
                raise


# ------------------------------------------------------------------------------------------------
# The app


def error_body(field: str, message: str, detail=None) -> dict:
    return {"error": message, "field": field, "detail": detail or [{"loc": ["body", field], "msg": message}]}
