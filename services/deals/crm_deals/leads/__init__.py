"""The deals service's copy of the leads it sells to, built from leads' events (owner, status, channel,
confirmed channel reports, dispute decisions, referrers, partner names)."""
