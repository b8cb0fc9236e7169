"""The deals service: units (房源, 销控), deals (认购 → 签约 → 回款, 换房, 退房) and payouts (渠道结佣, 全民营销奖励)."""
