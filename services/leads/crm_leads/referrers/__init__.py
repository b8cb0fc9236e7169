"""referrers aggregate: people who bring customers without being partners (全民营销)."""
