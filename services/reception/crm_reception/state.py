"""Reception's per-process objects (`ctx.state`, made in the plugin's `startup`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from crm_shared.directory import Directory
from crm_shared.ids import utcnow
from crm_reception.rotation.service import RotationCache


@dataclass
class ReceptionState:
    """The branch/staff directory read through this service's database, the rotation's per-process
    locks and last-written copies, and the front desk's clock (arrivals, waiting times, the branch's
    day); tests replace the clock to play a day in controlled time."""

    directory: Directory
    rotations: RotationCache = field(default_factory=RotationCache)
    clock: Callable[[], datetime] = utcnow
