"""Reception's per-process objects (`ctx.state`, made in the plugin's `startup`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from crm_shared.directory import Directory
from crm_reception.rotation.service import RotationCache


@dataclass
class ReceptionState:
    """The branch/staff directory read through this service's database, and the rotation's
    per-process locks and last-written copies."""

    directory: Directory
    rotations: RotationCache = field(default_factory=RotationCache)
