"""The use cases of the orders service. Entrypoints build an :class:`Orders` and call one method.

Rule of the house: no RPC inside a database transaction. Checkout records a pending attempt, reserves in
catalog, then records the placed order and its event in one transaction; whatever fails after the reserve
is compensated by releasing (at once, and again by the sweeper if catalog could not be reached).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.exc import IntegrityError

from marktplatz_shared.errors import Conflict, InvalidInput, NotFound, Unavailable

from . import payloads
from .adapters import repository as repo
from .adapters.catalog import CatalogPort, CatalogRefused, CatalogUnavailable
from .domain.checkout import CheckoutRequest, InvalidCheckout, parse_checkout
from .domain.model import ExpiryPolicy, Line, Order, VendorOrder
from .domain.secrets import new_pickup_code, order_token, token_hash, token_matches
from .domain.states import VENDOR_ACTIONS, Action, IllegalTransition, State, StockSettlement
from .settings import (
    ACCEPT_WINDOW_SECONDS,
    CATALOG_RPC_TIMEOUT,
    ORDER_TOKEN_SECRET,
    PERSONAL_DATA_RETENTION_SECONDS,
    PICKUP_WINDOW_SECONDS,
    RELEASE_GRACE_SECONDS,
    RESERVATION_HOLD_SECONDS,
    STALE_CHECKOUT_SECONDS,
)

log = logging.getLogger(__name__)

MAX_PAGE = 200
SWEEP_BATCH = 200


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Orders:
    db: Any  # marktplatz_shared.db.DatabaseAccess
    catalog: CatalogPort
    settings: dict[str, Any]
    clock: Callable[[], datetime] = utcnow

    @property
    def policy(self) -> ExpiryPolicy:
        return ExpiryPolicy(
            accept_window=timedelta(seconds=self.settings[ACCEPT_WINDOW_SECONDS]),
            pickup_window=timedelta(seconds=self.settings[PICKUP_WINDOW_SECONDS]),
        )

    def _token(self, order_id: str) -> str:
        return order_token(self.settings[ORDER_TOKEN_SECRET], order_id)

    # --- checkout -------------------------------------------------------------------------------------

    def checkout(self, request: Any, idempotency_key: str | None) -> dict[str, Any]:
        try:
            req = parse_checkout(request)
        except InvalidCheckout as exc:
            raise InvalidInput("invalid checkout", exc.problems) from None
        key_ok = isinstance(idempotency_key, str) and 1 <= len(idempotency_key) <= 200
        if idempotency_key is not None and not key_ok:
            raise InvalidInput("invalid idempotency key", {"idempotency_key": ["must be 1-200 characters"]})
        key = idempotency_key or str(uuid.uuid4())

        with self.db.read() as session:
            attempt = repo.attempt_by_key(session, key)
        if attempt is not None:
            self._check_same_request(attempt, req)
            if attempt.status == repo.PLACED:
                return self._placed_document(attempt.order_id)

        vendors = self._vendors(req)
        if attempt is None:
            attempt = self._start_attempt(key, req)
        return self._reserve_and_place(attempt, req, vendors)

    @staticmethod
    def _check_same_request(attempt: repo.Attempt, req: CheckoutRequest) -> None:
        if attempt.fingerprint != req.fingerprint:
            raise Conflict(
                "this idempotency key was used for a different checkout", {"reason": "idempotency_key_reused"}
            )

    def _placed_document(self, order_id: str) -> dict[str, Any]:
        with self.db.read() as session:
            stored = repo.load_order(session, order_id)
        return payloads.order_document(stored.order, self._token(order_id))

    def _vendors(self, req: CheckoutRequest) -> dict[str, dict[str, Any]]:
        """The vendors of the checkout from catalog; refuses a delivery the vendor does not offer."""
        answers = self.catalog.vendors([part.vendor_id for part in req.parts])
        vendors, problems = {}, {}
        for part, answer in zip(req.parts, answers, strict=True):
            if isinstance(answer, CatalogUnavailable):
                raise Unavailable("catalog is unavailable; please retry", {"retryable": True})
            if isinstance(answer, CatalogRefused):
                problems[f"lines.{part.vendor_id}"] = ["unknown vendor"]
                continue
            if part.fulfilment.method not in (answer.get("fulfilment") or []):
                offered = f"the vendor does not offer {part.fulfilment.method}"
                problems[f"fulfilment.{part.vendor_id}.method"] = [offered]
            vendors[part.vendor_id] = answer
        if problems:
            raise InvalidInput("invalid checkout", problems)
        return vendors

    def _start_attempt(self, key: str, req: CheckoutRequest) -> repo.Attempt:
        order_id = str(uuid.uuid4())
        refs = {part.vendor_id: str(uuid.uuid4()) for part in req.parts}
        try:
            with self.db.transaction() as tx:
                repo.insert_pending(tx.session, order_id, key, req.fingerprint, refs, self.clock())
            return repo.Attempt(order_id, repo.PENDING, req.fingerprint, refs, None)
        except IntegrityError:
            # a concurrent retry with the same key got there first: carry on with its attempt
            with self.db.read() as session:
                attempt = repo.attempt_by_key(session, key)
            if attempt is None:  # and it failed already: the key is free again
                raise Unavailable(
                    "a concurrent checkout with this key failed; please retry", {"retryable": True}
                ) from None
            self._check_same_request(attempt, req)
            return attempt

    def _reserve_and_place(self, attempt: repo.Attempt, req: CheckoutRequest, vendors: dict) -> dict[str, Any]:
        expires_at = (self.clock() + timedelta(seconds=self.settings[RESERVATION_HOLD_SECONDS])).isoformat()
        answers = self.catalog.reserve_all(
            [(attempt.refs[part.vendor_id], part.reserve_lines(), expires_at) for part in req.parts]
        )
        shortages, refused, unavailable = [], [], False
        for answer in answers:
            if isinstance(answer, CatalogUnavailable):
                unavailable = True
            elif isinstance(answer, CatalogRefused):
                refused.append(str(answer))
            elif answer.get("status") == "short":
                shortages.extend(answer.get("shortages", []))
            elif answer.get("status") != "reserved":
                unavailable = True
        if unavailable or refused or shortages:
            if not self._fail(attempt) and self._status(attempt) == repo.PLACED:
                return self._placed_document(attempt.order_id)  # a concurrent retry placed it meanwhile
            if unavailable:
                raise Unavailable("catalog is unavailable; nothing was reserved, please retry", {"retryable": True})
            if refused:
                raise InvalidInput("invalid checkout", {"lines": refused})
            for s in shortages:
                s["missing"] = int(s["requested"]) - int(s["available"])
            raise Conflict("not enough stock", {"reason": "short", "shortages": shortages})

        order = self._order_from(attempt, req, vendors, answers)
        with self.db.transaction() as tx:
            placed = repo.place(tx.session, order, token_hash(self._token(order.order_id)), self.clock())
            if placed:
                tx.emit("order_placed", payloads.order_placed_data(order))
        if placed:
            log.info("order %s placed with %d vendor orders", order.order_id, len(order.vendor_orders))
            return payloads.order_document(order, self._token(order.order_id))
        return self._after_lost_race(attempt)

    def _after_lost_race(self, attempt: repo.Attempt) -> dict[str, Any]:
        """Another attempt with the same key placed or failed this order while we reserved."""
        if self._status(attempt) == repo.PLACED:
            return self._placed_document(attempt.order_id)
        # it failed: our reserve may have landed after its release, so release again
        self._release(attempt)
        raise Unavailable("the checkout failed concurrently; please retry", {"retryable": True})

    def _order_from(self, attempt: repo.Attempt, req: CheckoutRequest, vendors: dict, answers: list) -> Order:
        now = self.clock()
        order = Order(order_id=attempt.order_id, shopper=req.shopper, created_at=now)
        for part, answer in zip(req.parts, answers, strict=True):
            priced = {line["sku"]: line for line in answer["lines"]}
            lines = [
                Line(sku, priced[sku].get("title") or sku, quantity, Decimal(str(priced[sku]["unit_price"])))
                for sku, quantity in part.quantities.items()
            ]
            order.vendor_orders.append(
                VendorOrder(
                    vendor_order_id=attempt.refs[part.vendor_id],
                    order_id=attempt.order_id,
                    vendor_id=part.vendor_id,
                    vendor_name=vendors[part.vendor_id].get("name", ""),
                    fulfilment=part.fulfilment,
                    pickup_code=new_pickup_code(),
                    lines=lines,
                    placed_at=now,
                    expires_at=self.policy.deadline(State.PLACED, now),
                )
            )
        return order

    def _fail(self, attempt: repo.Attempt) -> bool:
        """pending -> failed, then release; False if another attempt with this key placed or failed it first."""
        with self.db.transaction() as tx:
            failed = repo.mark_failed(tx.session, attempt.order_id, self.clock())
        if failed:
            self._release(attempt)
        return failed

    def _status(self, attempt: repo.Attempt) -> str:
        with self.db.read() as session:
            return repo.attempt_by_id(session, attempt.order_id).status

    def _release(self, attempt: repo.Attempt) -> None:
        """Release the attempt's reservations; leave the next try to the sweeper if catalog does not answer."""
        released = self.catalog.release_all(list(attempt.refs.values()))
        now = self.clock()
        with self.db.transaction() as tx:
            failed_at = repo.failed_at(tx.session, attempt.order_id) or now
            grace_over = failed_at + timedelta(seconds=self.settings[RELEASE_GRACE_SECONDS])
            if not released:
                due = now
            elif now >= grace_over:
                due = None
            else:
                due = grace_over
            repo.schedule_release(tx.session, attempt.order_id, due)
        if not released:
            log.warning("could not release the reservations of failed checkout %s; sweeper retries", attempt.order_id)

    # --- queries --------------------------------------------------------------------------------------

    def get_order(self, order_id: Any, token: Any) -> dict[str, Any]:
        stored = None
        if isinstance(order_id, str) and isinstance(token, str):
            with self.db.read() as session:
                stored = repo.load_order(session, order_id)
        if stored is None or not token_matches(token, stored.token_hash):
            raise NotFound("no such order")  # a wrong token does not tell that the order exists
        return payloads.order_document(stored.order)

    def list_vendor_orders(self, vendor_id: str, state: str | None, cursor: str | None, limit: int) -> dict:
        problems = {}
        if state is not None and state not in {s.value for s in State}:
            problems["state"] = [f"one of {', '.join(s.value for s in State)}"]
        if not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE:
            problems["limit"] = [f"between 1 and {MAX_PAGE}"]
        after = 0
        if cursor is not None:
            try:
                after = int(cursor)
            except (TypeError, ValueError):
                problems["cursor"] = ["not a cursor of this list"]
        if problems:
            raise InvalidInput("invalid query", problems)
        with self.db.read() as session:
            page, next_seq = repo.vendor_orders_page(session, vendor_id, state, after, limit)
        return {
            "orders": [payloads.vendor_order_document(vo, shopper) for vo, shopper in page],
            "next_cursor": str(next_seq) if next_seq is not None else None,
        }

    # --- transitions ----------------------------------------------------------------------------------

    def transition(self, vendor_id: str, vendor_order_id: str, action: str, reason: str | None) -> dict:
        try:
            act = Action(action)
        except ValueError:
            act = None
        if act not in VENDOR_ACTIONS:
            raise InvalidInput("unknown action", {"action": [f"one of {', '.join(sorted(VENDOR_ACTIONS))}"]})
        order, vo = self._apply(vendor_order_id, act, reason, by="vendor", owner=vendor_id)
        return payloads.vendor_order_document(vo, order.shopper)

    def cancel_by_shopper(self, order_id: str, token: str, vendor_order_id: str | None) -> dict[str, Any]:
        order = self._owned_order(order_id, token)
        if vendor_order_id is not None:
            if order.vendor_order(vendor_order_id) is None:
                raise NotFound("no such vendor order in this order")
            targets = [vendor_order_id]
        else:
            targets = [vo.vendor_order_id for vo in order.vendor_orders if vo.is_open]
            if not targets:
                states = sorted({vo.state.value for vo in order.vendor_orders})
                raise Conflict(f"nothing left to cancel: the order is {', '.join(states)}", {"current_state": states})
        for target in targets:
            self._apply(target, Action.CANCEL, "cancelled by the shopper", by="shopper")
        return self.get_order(order_id, token)

    def _owned_order(self, order_id: Any, token: Any) -> Order:
        self.get_order(order_id, token)  # raises NotFound for a wrong token
        with self.db.read() as session:
            return repo.load_order(session, order_id).order

    def _apply(
        self, vendor_order_id: Any, action: Action, reason: str | None, by: str, owner: str | None = None
    ) -> tuple[Order, VendorOrder]:
        now = self.clock()
        with self.db.transaction() as tx:
            order_id = repo.order_id_of(tx.session, vendor_order_id) if isinstance(vendor_order_id, str) else None
            stored = repo.load_order(tx.session, order_id) if order_id else None
            vo = stored.order.vendor_order(vendor_order_id) if stored else None
            if vo is None or (owner is not None and vo.vendor_id != owner):
                raise NotFound("no such vendor order")
            order, expected = stored.order, vo.state
            try:
                settlement = vo.apply(action, now, self.policy, reason=reason, by=by)
            except IllegalTransition as exc:
                raise Conflict(str(exc), {"current_state": exc.current.value}) from None
            if not repo.save_transition(tx.session, vo, expected):
                raise Conflict("the vendor order changed meanwhile; reload it", {"current_state": expected.value})
            if order.is_closed:
                repo.close_order(tx.session, order.order_id, now)
            tx.emit(payloads.EVENT_FOR_STATE[vo.state], payloads.vendor_order_event_data(order, vo, by))
        log.info("vendor order %s %s by %s", vo.vendor_order_id, vo.state.value, by)
        if settlement is not None:
            self._settle(vo.vendor_order_id, settlement)
        return order, vo

    def _settle(self, vendor_order_id: str, settlement: StockSettlement) -> bool:
        if settlement is StockSettlement.COMMIT:
            done = self.catalog.commit(vendor_order_id)
        else:
            done = self.catalog.release_all([vendor_order_id])
        if done:
            with self.db.transaction() as tx:
                repo.mark_settled(tx.session, vendor_order_id, self.clock())
        else:
            log.warning("could not %s the reservation of %s; the sweeper retries", settlement.value, vendor_order_id)
        return done

    # --- housekeeping (timers) ------------------------------------------------------------------------

    def expire_overdue(self) -> int:
        """Expire vendor orders whose window passed; their reservations are released."""
        with self.db.read() as session:
            due = repo.overdue_vendor_orders(session, self.clock(), SWEEP_BATCH)
        expired = 0
        for vendor_order_id in due:
            try:
                self._apply(vendor_order_id, Action.EXPIRE, None, by="system")
                expired += 1
            except (Conflict, NotFound):
                pass  # moved on meanwhile (collected, cancelled, or expired by another replica)
        return expired

    def settle_and_compensate(self) -> int:
        """Retry what catalog did not confirm: commits/releases of closed vendor orders, failed checkouts."""
        now = self.clock()
        stale_before = now - timedelta(seconds=self.settings[STALE_CHECKOUT_SECONDS])
        with self.db.read() as session:
            # the entrypoint that closed a vendor order settles it at once; the sweeper takes what is left
            settled_at_once_by = now - timedelta(seconds=self.settings[CATALOG_RPC_TIMEOUT])
            unsettled = repo.unsettled_vendor_orders(session, settled_at_once_by, SWEEP_BATCH)
            stale = repo.stale_pending(session, stale_before, SWEEP_BATCH)
            to_release = repo.releases_due(session, now, SWEEP_BATCH)
        done = 0
        for vendor_order_id, settlement in unsettled:
            done += self._settle(vendor_order_id, settlement)
        for order_id in stale:  # a process died mid-checkout
            with self.db.read() as session:
                attempt = repo.attempt_by_id(session, order_id)
            self._fail(attempt)
            done += 1
        for attempt in to_release:
            self._release(attempt)
            done += 1
        return done

    def erase_personal_data(self) -> int:
        closed_before = self.clock() - timedelta(seconds=self.settings[PERSONAL_DATA_RETENTION_SECONDS])
        with self.db.transaction() as tx:
            erased = repo.erase_personal_data(tx.session, closed_before, self.clock())
        if erased:
            log.info("erased the shopper contact of %d closed orders", erased)
        return erased
