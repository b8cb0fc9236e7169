"""The audited "show full number" (查看完整号码) of a card: a reason is asked for, the API records who saw the
number, when and why, and the number is shown on that one response only (never in a URL or a cookie).

The lead card and the archive card both use it: the markup is the `reveal_form` macro of `_reveal.html`,
the route body is `reveal_phone`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Response

from crm_console import i18n
from crm_console.api import ApiError
from crm_console.views.floor import error_status
from crm_console.web import Screen

i18n.register({
    "reveal.show": {"zh-CN": "查看完整号码", "en": "Show full number"},
    "reveal.audited": {"zh-CN": "查看完整号码会被记录审计（谁、何时、原因）。", "en": "Showing the full number is audited (who, when, why)."},
    "reveal.reason": {"zh-CN": "查看原因", "en": "Reason"},
    "reveal.need_reason": {"zh-CN": "请填写查看原因", "en": "Give a reason"},
})

Card = Callable[..., Awaitable[Response]]
"""A card drawn again: `card(status_code=200, **context)`."""


async def reveal_phone(s: Screen, card: Card, phone_path: str, reason: str) -> Response:
    """The card with the full number from `phone_path`, or with why not next to the reveal form."""
    if not reason.strip():
        return await card(422, reveal_error=s.t("reveal.need_reason"))
    try:
        shown = await s.api.get(phone_path, reason=reason.strip())
    except ApiError as exc:
        return await card(error_status(exc), reveal_error=exc.message, form={"reveal": {"reason": reason}})
    return await card(phone=shown.get("phone") or shown.get("e164") or "")
