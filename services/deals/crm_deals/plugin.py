"""The deals service as a plugin of group `crm.services`: units (房源, 销控), deals (认购 → 签约 → 回款, 换房, 退房) and payouts (渠道结佣, 全民营销奖励).

Each part (a subpackage) declares in its `part.py` its router, its outbox collections, its timers
and its indexes (crm_shared.plugins.PartedService); this file only lists the parts.
"""

from __future__ import annotations

from crm_shared.plugins import PartedService
from crm_deals import subscriptions
from crm_deals.settings import DealsSettings
from crm_deals.units import part as units
from crm_deals.sheet import part as sheet
from crm_deals.deals import part as deals
from crm_deals.payouts import part as payouts


class DealsService(PartedService):
    name = "deals"
    title = "Deals"
    settings_model = DealsSettings
    parts = (units, sheet, deals, payouts)
    tables = subscriptions.TABLES
    body_limits = {"/v1/units/import": 20 * 1024 * 1024}  # the office's unit sheet (销控表)


service = DealsService()
