"""Events of personal-data erasure (个人信息保护法 art. 47; docs/architecture.md "Personal data and erasure").

`customer.erased` is published by the customers service's privacy part after it purged the customer's data key
(crypto-shredding), once per branch the group has, so every integrator scoped to a branch hears of it too; every
service then deletes or anonymises its own records of that phone hash and answers with
`privacy.erasure_progress` (once per erasure: the first branch's event does the work, later ones repeat the answer).
"""

from __future__ import annotations

from pydantic import Field

from crm_shared.events.envelope import EventData, event

SOURCE = "customers"


@event("customer.erased", SOURCE)
class CustomerErased(EventData):
    """A customer asked to be forgotten: the data key is gone; delete or anonymise what you keep of them."""

    erasure_id: str = Field(description="The erasure request's id: one per customer erasure, the same on every "
                            "branch's event.")
    phone_hash: str = Field(pattern=r"^[0-9a-f]{64}$", description="HMAC-SHA256 of the E.164 number (as in lead events).")
    lead_ids: list[str] = Field(default_factory=list, description="The customer's leads known when the erasure was "
                                "asked for (a help for read models that key by lead; each service also looks itself).")


@event("privacy.erasure_progress", SOURCE, public=False)  # the services answer customers: internal
class ErasureProgress(EventData):
    """One service has deleted or anonymised its records of an erased customer (envelope `source`: that service)."""

    erasure_id: str = Field(description="The erasure (`customer.erased`).")
    service: str = Field(examples=["leads"], description="The service that answered.")
    records: int = Field(0, ge=0, description="Documents deleted or anonymised.")
