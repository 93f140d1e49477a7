"""The API's behaviour: routing, auth, rate limits, pricing, faults, and every endpoint.

`Endpoints.handle()` turns one parsed `Request` into one `Response` and records it in the
ledger; the HTTP plumbing in `server` only parses and writes bytes. Order of checks, as
the production API does it: injected faults, routing (404/405), bearer token (401), rate
limit (429), parameters (400), lookup (404), credits (402), then the answer — so every
error is decided before anything is charged.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable
from typing import Any

from kiosk.sandbox.catalog import VARIANTS, Product, public_record
from kiosk.sandbox.hostile import replace_body
from kiosk.sandbox.images import content_type
from kiosk.sandbox.ledger import LedgerEntry
from kiosk.sandbox.ratelimit import RateDecision
from kiosk.sandbox.signing import SignedUrlError
from kiosk.sandbox.state import State
from kiosk.sandbox.wire import Request, Response, error, iso_now, json_response

__all__ = ["API_PREFIX", "Endpoints"]

logger = logging.getLogger(__name__)

API_PREFIX = "/api/v1"
SCOPES = ("image_meta", "product_meta", "images")
_BARCODE = re.compile(r"\d{8}|\d{12,14}")
Handler = Callable[[Request, dict[str, str]], Response]


class Endpoints:
    def __init__(self, state: State) -> None:
        self.s = state
        # (pattern, {method: handler}, needs bearer token)
        self._routes: list[tuple[re.Pattern[str], dict[str, Handler], bool]] = [
            (re.compile(r"/auth/token"), {"POST": self._token}, False),
            (re.compile(r"/auth/refresh"), {"POST": self._refresh}, False),
            (re.compile(r"/balance"), {"GET": self._balance}, True),
            (re.compile(r"/account"), {"GET": self._account}, True),
            (re.compile(r"/pricing"), {"GET": self._pricing}, True),
            (re.compile(r"/products/(?P<barcode>[^/]+)"),
             {"GET": self._product, "HEAD": self._head}, True),
            (re.compile(r"/products/(?P<barcode>[^/]+)/image"), {"GET": self._redirect}, True),
            (re.compile(r"/image/(?P<token>[^/]+)"), {"GET": self._image}, False),
        ]

    # --- the pipeline ------------------------------------------------------------------

    def handle(self, req: Request) -> Response:
        try:
            resp = self._pipeline(req)
            if resp.status == 200 and resp.fault is None:
                self._hostile(req, resp)
        except Exception:  # a bug in the sandbox must still answer like a server would
            logger.exception("sandbox failed on %s %s", req.method, req.path)
            resp = error(500, "server_error", "Internal server error", req.request_id)
        resp.headers["X-Request-Id"] = req.request_id
        self.s.ledger.record(LedgerEntry(
            request_id=req.request_id, method=req.method, path=req.path, query=req.raw_query,
            status=0 if resp.drop else resp.status, credits=resp.charged,
            client_ip=req.client_ip, barcode=resp.barcode, time=self.s.clock.now(),
            error_code=resp.error_code, fault=resp.fault,
            authorization="authorization" in req.headers,
        ))
        return resp

    def _pipeline(self, req: Request) -> Response:
        faulted = self._fault(req)
        if faulted is not None:
            return faulted
        sub = req.path[len(API_PREFIX):] if req.path.startswith(API_PREFIX + "/") else None
        for pattern, methods, needs_token in self._routes:
            match = pattern.fullmatch(sub or "")
            if match is None:
                continue
            handler = methods.get(req.method)
            if handler is None:
                resp = error(405, "method_not_allowed",
                             f"Method {req.method} not allowed", req.request_id)
                resp.headers["Allow"] = ", ".join(methods)
                return resp
            if not needs_token:
                return handler(req, match.groupdict())
            return self._authenticated(req, handler, match.groupdict())
        return error(404, "not_found", "Not found", req.request_id)

    def _fault(self, req: Request) -> Response | None:
        plan, rid = self.s.faults, req.request_id
        latency = plan.take("latency", req.path)
        if latency is not None:
            time.sleep(float(latency.params["seconds"]))
        if plan.take("drop", req.path) is not None:
            return Response(0, drop=True, fault="drop")
        if plan.take("close", req.path) is not None:
            return Response(0, drop=True, fault="close")
        status = plan.take("status", req.path)
        if status is not None:
            code = int(status.params["status"])
            if status.params.get("json", 1):
                resp = error(code, str(status.params.get("code", "server_error")),
                             "The server had a problem", rid)
            else:
                html = f"<html><body><h1>{code} Bad Gateway</h1>nginx</body></html>"
                resp = Response(code, html.encode(), "text/html", error_code="server_error")
            resp.fault = "status"
            return resp
        limited = plan.take("rate_limit", req.path)
        if limited is not None:
            resp = error(429, "rate_limited", "Too many requests", rid, fault="rate_limit")
            wait = float(limited.params["retry_after"])  # 1e9 and inf are faults too
            resp.headers["Retry-After"] = str(int(wait)) if wait.is_integer() else str(wait)
            return resp
        garbage = plan.take("garbage", req.path)
        if garbage is not None:
            body = str(garbage.params.get("body", '{"barcode": "0170001615'))
            ctype = str(garbage.params.get("content_type", "application/json"))
            return Response(200, body.encode(), ctype, fault="garbage")
        return None

    def _hostile(self, req: Request, resp: Response) -> None:
        """Swap a 200's body for a hostile one, after the charge, as a real API's would be."""
        fault = self.s.faults.take("hostile", req.path)
        if fault is None:
            return
        bad = replace_body(str(fault.params["body"]), resp.body, fault.params)
        resp.body, resp.stream, resp.fault = bad.body, bad.stream, "hostile"
        resp.reset = bad.reset
        resp.content_type = bad.content_type or resp.content_type
        resp.headers.update(bad.headers)

    def _authenticated(self, req: Request, handler: Handler, args: dict[str, str]) -> Response:
        s, rid = self.s, req.request_id
        now = s.clock.now()
        if s.faults.take("expire_tokens", req.path) is not None:
            s.tokens.expire_access(now)
        scheme, _, token = req.headers.get("authorization", "").strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return error(401, "missing_token", "Missing bearer token", rid)
        problem = s.tokens.check_access(token, now)
        if problem == "token_expired":
            return error(401, problem, "Access token expired", rid)
        if problem is not None:
            return error(401, problem, "Invalid access token", rid)
        decision = s.limiter.hit(now)
        if not decision.allowed:
            resp = error(429, "rate_limited", "Rate limit exceeded", rid)
            resp.headers["Retry-After"] = str(decision.retry_after)
        else:
            resp = handler(req, args)
        self._rate_headers(resp, decision)
        return resp

    @staticmethod
    def _rate_headers(resp: Response, decision: RateDecision) -> None:
        resp.headers["X-RateLimit-Limit"] = str(decision.limit)
        resp.headers["X-RateLimit-Remaining"] = str(decision.remaining)
        resp.headers["X-RateLimit-Reset"] = str(decision.reset)

    def _meta(self, req: Request, debited: float, remaining: float | None = None) -> dict[str, Any]:
        left = self.s.wallet.balance if remaining is None else remaining
        return {"request_id": req.request_id, "credits_debited": round(debited, 6),
                "credits_remaining": round(left, 6),
                "response_generated": iso_now(self.s.clock.now())}

    def _charge(self, req: Request, cost: float) -> float | Response:
        remaining = self.s.wallet.charge(cost)
        if remaining is None:
            return error(402, "insufficient_credits",
                         f"Insufficient credits: this call costs {cost:g}", req.request_id)
        return remaining

    # --- auth ---------------------------------------------------------------------------

    def _json_body(self, req: Request, *keys: str) -> dict[str, str] | None:
        try:
            data = json.loads(req.body or b"null")
        except (ValueError, UnicodeDecodeError):
            return None
        if not isinstance(data, dict) or not all(isinstance(data.get(k), str) for k in keys):
            return None
        return {k: data[k] for k in keys}

    def _token_answer(self, req: Request) -> Response:
        pair = self.s.tokens.issue(self.s.clock.now(), self.s.access_ttl)
        return json_response(200, {"access_token": pair.access_token,
                                   "refresh_token": pair.refresh_token,
                                   "token_type": "Bearer", "expires_in": pair.expires_in})

    def _token(self, req: Request, _: dict[str, str]) -> Response:
        body = self._json_body(req, "client_id", "api_key")
        if body is None:
            return error(400, "bad_request", "Body must be JSON with client_id and api_key",
                         req.request_id)
        with self.s.key_lock:
            ok = body["client_id"] == self.s.client_id and body["api_key"] == self.s.api_key
        if not ok:
            return error(401, "invalid_client", "Invalid client credentials", req.request_id)
        return self._token_answer(req)

    def _refresh(self, req: Request, _: dict[str, str]) -> Response:
        body = self._json_body(req, "refresh_token")
        if body is None:
            return error(400, "bad_request", "Body must be JSON with refresh_token",
                         req.request_id)
        if not self.s.tokens.use_refresh(body["refresh_token"], self.s.clock.now()):
            return error(401, "invalid_refresh_token", "Invalid refresh token", req.request_id)
        return self._token_answer(req)

    # --- free account endpoints ----------------------------------------------------------

    def _balance(self, req: Request, _: dict[str, str]) -> Response:
        return json_response(200, {"client_id": self.s.client_id,
                                   "credit_balance": self.s.wallet.balance, "tier": "standard",
                                   "meta": self._meta(req, 0)})

    def _account(self, req: Request, _: dict[str, str]) -> Response:
        now = self.s.clock.now()
        day, month = time.strftime("%Y-%m-%d", time.gmtime(now)), time.strftime(
            "%Y-%m", time.gmtime(now))
        today = [e for e in self.s.ledger.entries()
                 if e.status and e.path.startswith(API_PREFIX)
                 and not e.path.startswith(API_PREFIX + "/image/")
                 and not e.path.startswith(API_PREFIX + "/auth/")]
        in_day = [e for e in today if time.strftime("%Y-%m-%d", time.gmtime(e.time)) == day]
        in_month = [e for e in today if time.strftime("%Y-%m", time.gmtime(e.time)) == month]
        rate = self.s.limiter.peek(now)
        return json_response(200, {
            "client_id": self.s.client_id,
            "client_name": "Kiosk sandbox",
            "tier": "standard",
            "credit_balance": self.s.wallet.balance,
            "usage": {
                "requests_today": len(in_day) + 1,
                "requests_this_month": len(in_month) + 1,
                "credits_spent_today": round(sum(e.credits for e in in_day), 6),
                "credits_spent_this_month": round(sum(e.credits for e in in_month), 6),
            },
            "rate_limits": {
                "requests_per_minute": self.s.limiter.per_minute,
                "requests_per_day": self.s.limiter.per_day,
                "remaining_this_minute": rate.remaining,
                "remaining_today": rate.remaining_today,
            },
            "meta": self._meta(req, 0),
        })

    def _pricing(self, req: Request, _: dict[str, str]) -> Response:
        p = self.s.pricing
        return json_response(200, {"per_scope_rate": p.per_scope_rate,
                                   "per_image_rate": p.per_image_rate,
                                   "head_rate": p.head_rate,
                                   "image_redirect_rate": p.image_redirect_rate,
                                   "meta": self._meta(req, 0)})

    # --- products -----------------------------------------------------------------------

    def _list_param(self, req: Request, name: str, allowed: tuple[str, ...]) -> list[str] | str:
        """The comma list in `name` (None-like [] when absent), or an error message."""
        values = [v for raw in req.query.get(name, []) for v in raw.split(",")]
        items = [v.strip() for v in values if v.strip()]
        if name in req.query and not items:
            return f"{name}= is empty"
        unknown = [v for v in items if v not in allowed]
        if unknown:
            return f"Unknown {name} value {unknown[0]!r}; allowed: {', '.join(allowed)}"
        return list(dict.fromkeys(items))

    def _lookup(self, req: Request, barcode: str) -> Product | Response:
        if not _BARCODE.fullmatch(barcode):
            return error(400, "bad_request", "Malformed barcode: 8, 12, 13 or 14 digits expected",
                         req.request_id)
        product = self.s.catalog.get(barcode)
        if product is None:
            return error(404, "barcode_not_found", "Barcode not found", req.request_id,
                         barcode=barcode)
        return product

    def _product(self, req: Request, args: dict[str, str]) -> Response:
        barcode = args["barcode"]
        include = self._list_param(req, "include", SCOPES)
        variants = self._list_param(req, "variants", VARIANTS)
        for problem in (include, variants):
            if isinstance(problem, str):
                return error(400, "bad_request", problem, req.request_id, barcode=barcode)
        assert isinstance(include, list) and isinstance(variants, list)
        scopes = include or list(SCOPES)
        found = self._lookup(req, barcode)
        if isinstance(found, Response):
            return found
        record = public_record(found)
        wanted = [v for v in VARIANTS if (not variants or v in variants)
                  and found["image_meta"].get(v) is not None] if "images" in scopes else []
        meta_scopes = [x for x in scopes if x != "images"]
        p = self.s.pricing
        cost = p.per_scope_rate * len(meta_scopes) + p.per_image_rate * len(wanted)
        remaining = self._charge(req, cost)
        if isinstance(remaining, Response):
            remaining.barcode = barcode
            return remaining
        body: dict[str, Any] = {"barcode": barcode}
        for scope in ("image_meta", "product_meta"):
            if scope in scopes:
                body[scope] = record[scope]
        if "images" in scopes:
            body["images"] = {v: self._sign(req, barcode, v) if v in wanted else None
                              for v in VARIANTS}
        body["meta"] = self._meta(req, cost, remaining)
        return json_response(200, body, charged=round(cost, 6), barcode=barcode)

    def _head(self, req: Request, args: dict[str, str]) -> Response:
        barcode = args["barcode"]
        if not _BARCODE.fullmatch(barcode):
            return Response(400, error_code="bad_request", barcode=barcode)
        cost = self.s.pricing.head_rate
        remaining = self.s.wallet.charge(cost)
        if remaining is None:
            return Response(402, error_code="insufficient_credits", barcode=barcode)
        status = 200 if barcode in self.s.catalog else 404
        resp = Response(status, charged=cost, barcode=barcode,
                        error_code=None if status == 200 else "barcode_not_found")
        resp.headers["X-Credits-Debited"] = f"{cost:g}"
        resp.headers["X-Credits-Remaining"] = f"{remaining:g}"
        return resp

    def _redirect(self, req: Request, args: dict[str, str]) -> Response:
        barcode = args["barcode"]
        variant = self._list_param(req, "variant", VARIANTS)
        if isinstance(variant, str) or len(variant) != 1:
            message = variant if isinstance(variant, str) else "Exactly one variant= is needed"
            return error(400, "bad_request", message, req.request_id, barcode=barcode)
        found = self._lookup(req, barcode)
        if isinstance(found, Response):
            if found.status == 404:
                return error(404, "not_found", "Product not found", req.request_id,
                             barcode=barcode)
            return found
        if found["image_meta"].get(variant[0]) is None:
            return error(404, "not_found", f"No {variant[0]} image for this product",
                         req.request_id, barcode=barcode)
        cost = self.s.pricing.image_redirect_rate
        remaining = self._charge(req, cost)
        if isinstance(remaining, Response):
            remaining.barcode = barcode
            return remaining
        resp = Response(302, charged=cost, barcode=barcode)
        resp.headers["Location"] = self._sign(req, barcode, variant[0])
        resp.headers["X-Credits-Debited"] = f"{cost:g}"
        resp.headers["X-Credits-Remaining"] = f"{remaining:g}"
        return resp

    # --- signed image URLs --------------------------------------------------------------

    def _sign(self, req: Request, barcode: str, variant: str) -> str:
        bound = self.s.faults.take("bind_ip", req.path)
        ip = str(bound.params["ip"]) if bound is not None else req.client_ip
        expired = self.s.faults.take("expire_url", req.path) is not None
        expires = self.s.clock.now() + (-1.0 if expired else self.s.image_url_ttl)
        token = self.s.signer.sign(barcode, variant, ip, expires)
        host = req.headers.get("host") or "127.0.0.1"
        return f"{req.scheme}://{host}{API_PREFIX}/image/{token}"

    def _image(self, req: Request, args: dict[str, str]) -> Response:
        try:
            claims = self.s.signer.redeem(args["token"], req.client_ip, self.s.clock.now())
        except SignedUrlError as exc:
            return error(exc.status, exc.code, exc.message, req.request_id,
                         barcode=exc.claims.barcode if exc.claims else None)
        product = self.s.catalog.get(claims.barcode)
        if product is None or product["image_meta"].get(claims.variant) is None:
            return error(404, "not_found", "Image not found", req.request_id)
        data = self.s.images.get(claims.barcode, claims.variant)
        resp = Response(200, data, content_type(claims.variant), barcode=claims.barcode)
        cut = self.s.faults.take("truncate_image", req.path)
        if cut is not None:
            resp.body = data[: max(1, int(len(data) * float(cut.params["fraction"])))]
            resp.fault = "truncate_image"
        resp.headers["Cache-Control"] = "private, no-store"
        return resp
