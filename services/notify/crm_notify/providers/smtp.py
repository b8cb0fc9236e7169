"""`smtp`: email through any SMTP server (aiosmtplib); 5xx is permanent, the rest transient."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import aiosmtplib
from pydantic import Field

from crm_notify.providers.base import Outgoing, PermanentError, Provider, ProviderSettings, SendResult, TransientError


class SmtpSettings(ProviderSettings):
    host: str = Field("127.0.0.1", max_length=255, title="Host", description="SMTP server host.")
    port: int = Field(25, ge=1, le=65535, title="Port")
    username: str | None = Field(None, max_length=255, title="User name", description="For SMTP AUTH.")
    password: str | None = Field(None, max_length=255, title="Password")
    start_tls: bool = Field(False, title="STARTTLS", description="Upgrade the connection with STARTTLS.")
    use_tls: bool = Field(False, title="Implicit TLS", description="Connect with TLS (port 465).")
    from_address: str = Field("crm@localhost", max_length=255, title="From", description="Sender address.")
    message_id_domain: str = Field("crm.local", max_length=255, title="Message-ID domain")


def build_email(settings: SmtpSettings, message: Outgoing) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = settings.from_address
    mail["To"] = message.to
    mail["Subject"] = message.subject or ""
    mail["Date"] = formatdate(localtime=False)
    mail["Message-ID"] = make_msgid(idstring=message.message_id.replace("-", ""), domain=settings.message_id_domain)
    mail["X-CRM-Message-Id"] = message.message_id
    mail.set_content(message.body)
    return mail


class SmtpProvider(Provider):
    name = "smtp"
    channels = ("email",)
    Settings = SmtpSettings

    async def send(self, message: Outgoing) -> SendResult:
        s: SmtpSettings = self.settings
        mail = build_email(s, message)
        try:
            errors, _ = await aiosmtplib.send(
                mail, hostname=s.host, port=s.port, username=s.username, password=s.password,
                start_tls=s.start_tls, use_tls=s.use_tls, timeout=s.timeout_seconds,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            raise PermanentError(f"recipient refused: {exc}") from exc
        except aiosmtplib.SMTPResponseException as exc:
            kind = PermanentError if 500 <= exc.code < 600 else TransientError
            raise kind(f"SMTP {exc.code}: {exc.message}") from exc
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise TransientError(f"{type(exc).__name__}: {exc}") from exc
        if errors:
            raise PermanentError(f"recipient refused: {errors}")
        return SendResult([mail["Message-ID"]])
