"""Rotation (轮排) rules on plain data: who is next, and how a turn or a busy spell changes the queue.

The queue is ordered by how long each present consultant has waited for a walk-in: joining
puts you last, taking a turn moves you last. A busy consultant (with any visitor) is skipped
but keeps their place, so they are next as soon as they are free. Serving a returning
customer or an appointment makes a consultant busy without using their turn.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class RotationState:
    queue: list[str] = field(default_factory=list)
    busy: list[dict[str, str]] = field(default_factory=list)
    served: list[dict[str, str]] = field(default_factory=list)

    @classmethod
    def of(cls, doc: dict | None) -> "RotationState":
        doc = doc or {}
        return cls(list(doc.get("queue", [])), [dict(b) for b in doc.get("busy", [])],
                   [dict(s) for s in doc.get("served", [])])

    def as_fields(self) -> dict:
        return {"queue": self.queue, "busy": self.busy, "served": self.served}

    def busy_ids(self) -> set[str]:
        return {b["consultant_id"] for b in self.busy}

    def turns(self) -> dict[str, int]:
        counts = {c: 0 for c in self.queue}
        for s in self.served:
            counts[s["consultant_id"]] = counts.get(s["consultant_id"], 0) + 1
        return counts


def join(state: RotationState, consultant_id: str) -> RotationState:
    """A consultant arriving (or re-joining) waits behind everyone already present."""
    if consultant_id in state.queue:
        return state
    return RotationState([*state.queue, consultant_id], state.busy, state.served)


def leave(state: RotationState, consultant_id: str) -> RotationState:
    return RotationState([c for c in state.queue if c != consultant_id], state.busy, state.served)


def next_up(state: RotationState) -> str | None:
    """The longest-waiting present consultant who has no visitor."""
    busy = state.busy_ids()
    return next((c for c in state.queue if c not in busy), None)


def take_turn(state: RotationState, visit_id: str) -> tuple[RotationState, str | None]:
    """Give a new visitor to the next consultant, who goes to the back of the queue and is busy."""
    chosen = next_up(state)
    if chosen is None:
        return state, None
    queue = [c for c in state.queue if c != chosen] + [chosen]
    entry = {"consultant_id": chosen, "visit_id": visit_id}
    return RotationState(queue, [*state.busy, entry], [*state.served, entry]), chosen


def occupy(state: RotationState, consultant_id: str, visit_id: str) -> RotationState:
    """Busy with a returning customer or an appointment: no turn used, place kept."""
    if any(b["visit_id"] == visit_id for b in state.busy):
        return state
    return RotationState(state.queue, [*state.busy, {"consultant_id": consultant_id, "visit_id": visit_id}], state.served)


def release(state: RotationState, visit_id: str) -> RotationState:
    return RotationState(state.queue, [b for b in state.busy if b["visit_id"] != visit_id], state.served)
