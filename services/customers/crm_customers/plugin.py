"""The customers service as a plugin of group `crm.services`: archives (顾客档案), key accounts, revisits (回访), evaluations (客户关系评估), complaints (客户投诉) and greetings.

Each part (a subpackage) declares in its `part.py` its router, its outbox collections, its timers
and its indexes (crm_shared.plugins.PartedService); this file only lists the parts.
"""

from __future__ import annotations

from crm_shared.plugins import PartedService
from crm_customers import subscriptions
from crm_customers.settings import CustomersSettings
from crm_customers.archives import part as archives
from crm_customers.revisits import part as revisits
from crm_customers.evaluations import part as evaluations
from crm_customers.complaints import part as complaints
from crm_customers.greetings import part as greetings
from crm_customers.exports import part as exports
from crm_customers.privacy import part as privacy


class CustomersService(PartedService):
    name = "customers"
    title = "Customers"
    settings_model = CustomersSettings
    parts = (archives, revisits, evaluations, complaints, greetings, exports, privacy)
    tables = subscriptions.TABLES
    body_limits = {"/v1/archives/import": 20 * 1024 * 1024}  # the office's sheet of existing owners


service = CustomersService()
