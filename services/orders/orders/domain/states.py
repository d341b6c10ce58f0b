"""The life of a vendor order, as a table of legal transitions.

    placed -> accepted -> ready -> collected (pickup) / delivered (delivery)
    placed | accepted | ready -> cancelled (by the vendor or the shopper)
    placed | ready -> expired (not accepted in time, or not collected in the pickup window)

Every other move is illegal and refused with the current state.
"""

from __future__ import annotations

from enum import StrEnum


class State(StrEnum):
    PLACED = "placed"
    ACCEPTED = "accepted"
    READY = "ready"
    COLLECTED = "collected"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


class Action(StrEnum):
    ACCEPT = "accept"
    READY = "ready"
    COLLECT = "collect"
    DELIVER = "deliver"
    CANCEL = "cancel"
    EXPIRE = "expire"


#: actions a vendor may ask for over RPC (expire belongs to the clock)
VENDOR_ACTIONS = frozenset({Action.ACCEPT, Action.READY, Action.COLLECT, Action.DELIVER, Action.CANCEL})

OPEN_STATES = frozenset({State.PLACED, State.ACCEPTED, State.READY})
TERMINAL_STATES = frozenset({State.COLLECTED, State.DELIVERED, State.CANCELLED, State.EXPIRED})

#: (from state, action) -> to state
TRANSITIONS: dict[tuple[State, Action], State] = {
    (State.PLACED, Action.ACCEPT): State.ACCEPTED,
    (State.ACCEPTED, Action.READY): State.READY,
    (State.READY, Action.COLLECT): State.COLLECTED,
    (State.READY, Action.DELIVER): State.DELIVERED,
    (State.PLACED, Action.CANCEL): State.CANCELLED,
    (State.ACCEPTED, Action.CANCEL): State.CANCELLED,
    (State.READY, Action.CANCEL): State.CANCELLED,
    (State.PLACED, Action.EXPIRE): State.EXPIRED,
    (State.READY, Action.EXPIRE): State.EXPIRED,
}

#: which fulfilment method a finishing action belongs to
FINISHING_METHOD = {Action.COLLECT: "pickup", Action.DELIVER: "delivery"}


class IllegalTransition(Exception):
    """The action is not allowed from the current state (or for this fulfilment method)."""

    def __init__(self, current: State, action: Action, why: str = ""):
        self.current = current
        self.action = action
        detail = f": {why}" if why else ""
        super().__init__(f"cannot {action.value} a vendor order that is {current.value}{detail}")


def next_state(current: State, action: Action, fulfilment_method: str) -> State:
    """The state after ``action``, or :class:`IllegalTransition` naming the current state."""
    target = TRANSITIONS.get((current, action))
    if target is None:
        raise IllegalTransition(current, action)
    method = FINISHING_METHOD.get(action)
    if method is not None and method != fulfilment_method:
        raise IllegalTransition(current, action, f"the order is for {fulfilment_method}")
    return target


class StockSettlement(StrEnum):
    """What a vendor order's reservation in catalog must become once the order reaches a terminal state."""

    COMMIT = "commit"
    RELEASE = "release"


def settlement_for(state: State) -> StockSettlement | None:
    if state in (State.COLLECTED, State.DELIVERED):
        return StockSettlement.COMMIT
    if state in (State.CANCELLED, State.EXPIRED):
        return StockSettlement.RELEASE
    return None
