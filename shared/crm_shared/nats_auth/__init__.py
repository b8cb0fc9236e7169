"""NATS security: the services connect with their own credentials (`crm_shared.bus.connection`),
everybody else goes through our auth callout (`callout.AuthCallout`), which admits an
integrator's CRM token as a read-only NATS user limited to its branches (`permissions`).
docs/architecture.md "NATS security" has the threat model and the server configuration."""

from crm_shared.nats_auth.callout import AUTH_SUBJECT, AuthCallout
from crm_shared.nats_auth.permissions import Grant, NotAllowed, consumer_names, decide, inbox_prefix, integrator_grant

__all__ = ["AUTH_SUBJECT", "AuthCallout", "Grant", "NotAllowed", "consumer_names", "decide", "inbox_prefix",
           "integrator_grant"]
