"""HTTP of evaluations: request parsing, scope and roles; the rules live in `service.py` and `rules.py`."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["evaluations"])
