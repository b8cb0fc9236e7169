"""What Aliyun and Tencent SMS share: they send only templates the provider approved, so each of our
template keys maps to an approved template and the variables it takes, in the template's order.

One shape for both (`templates: {our key: {id, params}}`): Aliyun gets the params as TemplateParam
JSON named by our variables (the approved template reads `${customer_name}`), Tencent as
TemplateParamSet in list order (`{1}`, `{2}`...). A message whose key is not mapped fails permanently
naming the key; at start the provider warns of every built-in SMS template left unmapped.
"""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

from crm_notify.providers.base import Outgoing, PermanentError, Provider, ProviderSettings
from crm_notify.templates.defaults import DEFAULTS
from crm_notify.templates.models import KEY_PATTERN

log = logging.getLogger("crm.notify.providers")
VARIABLE = r"^[a-z][a-z0-9_]{0,39}$"
LIST_SEPARATOR = "；"


class SmsTemplate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(min_length=1, max_length=40, title="Template", examples=["SMS_475960123", "2012345"],
                    description="The approved template: Aliyun TemplateCode, Tencent TemplateId.")
    params: list[str] = Field(default_factory=list, max_length=20, title="Parameters",
                              examples=[["customer_name", "start_local"]],
                              description="Our variables the template takes, in its order: Aliyun names them "
                                          "(${customer_name}), Tencent numbers them ({1}, {2}...).")

    @field_validator("params")
    @classmethod
    def _names(cls, params: list[str]) -> list[str]:
        if bad := [p for p in params if not re.match(VARIABLE, p)]:
            raise ValueError(f"not variable names: {bad}")
        return params


class TemplatedSmsSettings(ProviderSettings):
    sign_name: str = Field(min_length=1, max_length=40, title="Sign name", description="Approved SMS signature (签名).")
    templates: dict[str, SmsTemplate] = Field(default_factory=dict, title="Templates",
                                              description="Our template key -> approved template and its parameters.")
    endpoint: str = Field(max_length=255, title="Endpoint", description="API base URL (scheme and host only).")

    @field_validator("templates")
    @classmethod
    def _keys(cls, templates: dict[str, SmsTemplate]) -> dict[str, SmsTemplate]:
        if bad := [k for k in templates if not re.match(KEY_PATTERN, k)]:
            raise ValueError(f"not template keys: {bad}")
        return templates

    @field_validator("endpoint")
    @classmethod
    def _endpoint(cls, value: str) -> str:
        url = urlsplit(value)
        if url.scheme not in ("http", "https") or not url.netloc or url.path not in ("", "/") or url.query:
            raise ValueError("give a base URL such as https://dysmsapi.aliyuncs.com")
        return value

    @property
    def scheme_and_host(self) -> tuple[str, str]:
        url = urlsplit(self.endpoint)
        return url.scheme, url.netloc


def param_text(value: Any) -> str:
    """Template parameters are strings: a list reads as its items joined, nothing as empty."""
    if value is None:
        return ""
    if isinstance(value, list):
        return LIST_SEPARATOR.join(map(str, value))
    return str(value)


def sms_template_keys() -> set[str]:
    """The built-in template keys notify sends by SMS."""
    return {key for key, channel, _ in DEFAULTS if channel == "sms"}


class TemplatedSmsProvider(Provider):
    """Base of the providers that send approved templates only."""

    channels = ("sms",)
    settings: TemplatedSmsSettings

    async def start(self) -> None:
        if missing := sorted(sms_template_keys() - set(self.settings.templates)):
            log.warning("SMS templates without an approved %s template fail when sent: map them in the provider's "
                        "`templates` setting", self.name, extra={"provider": self.name, "unmapped": missing})

    def template(self, message: Outgoing) -> tuple[SmsTemplate, list[str]]:
        """The approved template of the message's key and its parameter values in the template's order,
        or a permanent failure saying why."""
        if message.template is None:
            raise PermanentError(f"{self.name} sends approved templates only: a message with a literal body cannot "
                                 "be sent; send it with a template key mapped in `templates`")
        template = self.settings.templates.get(message.template)
        if template is None:
            raise PermanentError(f"{self.name}: no approved template for template key {message.template!r}; "
                                 "map it in the provider's `templates` setting")
        if missing := [p for p in template.params if p not in message.data]:
            raise PermanentError(f"{self.name}: template {message.template!r} ({template.id}) takes "
                                 f"{', '.join(missing)}, which the message does not carry")
        return template, [param_text(message.data[p]) for p in template.params]
