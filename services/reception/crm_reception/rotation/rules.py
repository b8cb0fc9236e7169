"""Rotation (轮排) rules on plain data: who is next, and how a turn or a busy spell changes the queue.

The queue is ordered by how long each present consultant has waited for a walk-in: joining
puts you last, taking a turn moves you last. A busy consultant (with any visitor) is skipped
but keeps their place, so they are next as soon as they are free. Serving a returning
customer or an appointment makes a consultant busy without using their turn.

Every change is keyed by the visit, so applying it twice changes nothing: a visit already held
keeps its consultant. A turn remembers the place it was taken from (`position`), so a turn taken
back (`revoke`: a lost race, a hand-over to a colleague) puts the consultant back where they were.
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


def holder(state: RotationState, visit_id: str) -> str | None:
    """The consultant busy with this visit, if any."""
    return next((b["consultant_id"] for b in state.busy if b["visit_id"] == visit_id), None)


def give_turn(state: RotationState, consultant_id: str, visit_id: str) -> RotationState:
    """`consultant_id` takes a new visitor as their turn: to the back of the queue, busy, counted."""
    present = consultant_id in state.queue
    queue = [c for c in state.queue if c != consultant_id] + ([consultant_id] if present else [])
    entry = {"consultant_id": consultant_id, "visit_id": visit_id}
    turn = {**entry, "position": state.queue.index(consultant_id)} if present else entry
    return RotationState(queue, [*(b for b in state.busy if b["visit_id"] != visit_id), entry],
                         [*(t for t in state.served if t["visit_id"] != visit_id), turn])


def take_turn(state: RotationState, visit_id: str) -> tuple[RotationState, str | None]:
    """Give a new visitor to the next consultant, who goes to the back of the queue and is busy."""
    if (held := holder(state, visit_id)) is not None:
        return state, held
    chosen = next_up(state)
    if chosen is None:
        return state, None
    return give_turn(state, chosen, visit_id), chosen


def occupy(state: RotationState, consultant_id: str, visit_id: str) -> RotationState:
    """Busy with a returning customer or an appointment: no turn used, place kept."""
    if holder(state, visit_id) == consultant_id:
        return state
    busy = [b for b in state.busy if b["visit_id"] != visit_id]
    return RotationState(state.queue, [*busy, {"consultant_id": consultant_id, "visit_id": visit_id}], state.served)


def claim(state: RotationState, consultant_id: str, visit_id: str, *, turn: bool = False,
          on_duty: bool = False) -> tuple[RotationState, str | None]:
    """A named consultant takes this visitor if free (and, when `on_duty`, present in today's queue);
    otherwise nothing changes and the visitor waits for them."""
    if holder(state, visit_id) == consultant_id:
        return state, consultant_id
    if consultant_id in state.busy_ids() or (on_duty and consultant_id not in state.queue):
        return state, None
    return (give_turn(state, consultant_id, visit_id) if turn else occupy(state, consultant_id, visit_id)), consultant_id


def release(state: RotationState, visit_id: str) -> RotationState:
    """The visit ended: its consultant is free again (a turn stays used)."""
    return RotationState(state.queue, [b for b in state.busy if b["visit_id"] != visit_id], state.served)


def revoke(state: RotationState, visit_id: str, consultant_id: str) -> RotationState:
    """Take the visit back from `consultant_id` as if it never reached them: not busy with it, and a
    turn it used is given back with the consultant's old place. Another consultant's hold is kept."""
    busy = [b for b in state.busy if not (b["visit_id"] == visit_id and b["consultant_id"] == consultant_id)]
    turn = next((t for t in state.served if t["visit_id"] == visit_id and t["consultant_id"] == consultant_id), None)
    if turn is None:
        return RotationState(state.queue, busy, state.served)
    served = [t for t in state.served if t is not turn]
    queue = state.queue
    if consultant_id in queue and turn.get("position") is not None:
        rest = [c for c in queue if c != consultant_id]
        queue = [*rest[: turn["position"]], consultant_id, *rest[turn["position"]:]]
    return RotationState(queue, busy, served)


def hand_over(state: RotationState, visit_id: str, previous: str | None, consultant_id: str,
              turn: bool) -> tuple[RotationState, str | None]:
    """The desk hands the visitor from `previous` (if any) to a named consultant: the previous one
    gets the visit (and its turn) back; the named one takes it if free, else the visitor waits."""
    after = revoke(state, visit_id, previous) if previous else state
    return claim(after, consultant_id, visit_id, turn=turn)
