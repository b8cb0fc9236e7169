"""Turn a due-queue document into the text a provider sends; errors become RenderError."""

from __future__ import annotations

from dataclasses import dataclass

from crm_shared.directory import BranchFacts
from crm_notify.optouts.links import unsubscribe_url
from crm_notify.settings import NotifySettings
from crm_notify.templates import service as templates
from crm_notify.templates.engine import RenderError, render
from crm_notify.templates.segments import count_segments

TEMPLATE_CHANNEL = {"wecom": "sms"}
"""A WeCom app message says what the SMS says (short plain text), without the SMS signature: the app names the sender."""
UNSUBSCRIBE_LINE = {"sms": {"zh-CN": " 退订：{url}", "en": " Unsubscribe: {url}"},
                    "email": {"zh-CN": "\n\n退订：{url}", "en": "\n\nUnsubscribe: {url}"}}


@dataclass(frozen=True)
class Rendered:
    subject: str | None
    body: str
    segments: int | None


async def render_message(db, config: NotifySettings, doc: dict, branch: BranchFacts, cache: dict | None = None) -> Rendered:
    channel, locale = doc["channel"], doc.get("locale") or config.default_locale
    variables = {"branch_name": branch.name, **(doc.get("data") or {})}
    link = None
    if doc["category"] == "marketing":
        link = unsubscribe_url(config.public_base_url, config.unsubscribe_secret, channel, doc["to"], "marketing",
                               doc["branch_id"])
        variables["unsubscribe_url"] = link
    if doc.get("body") is not None:
        subject, text, source = doc.get("subject"), doc["body"], ""
    else:
        written_for = TEMPLATE_CHANNEL.get(channel, channel)
        key = ("template", doc["template"], written_for, locale, doc["branch_id"])
        if cache is not None and key in cache:
            tpl = cache[key]
        else:
            tpl = await templates.resolve(db, doc["template"], written_for, locale, doc["branch_id"])
            if cache is not None:
                cache[key] = tpl
        if tpl is None:
            raise RenderError(f"no template {doc['template']!r} for {written_for}/{locale}")
        source = tpl.body
        text = render(tpl.body, variables)
        subject = render(tpl.subject, variables) if tpl.subject and channel == "email" else None
    if link and "unsubscribe_url" not in source:
        text += UNSUBSCRIBE_LINE[channel].get(locale, UNSUBSCRIBE_LINE[channel]["zh-CN"]).format(url=link)
    if channel != "sms":
        return Rendered(subject or "", text, None)
    signature = config.signature_for(doc["branch_id"])
    body = signature + text
    segments = count_segments(text, signature).segments
    if segments > config.sms_max_segments:
        raise RenderError(f"SMS is {segments} parts; the maximum is {config.sms_max_segments}")
    return Rendered(None, body, segments)
