"""Typed settings of the orders service: names and defaults in one place, checked at start-up."""

from marshmallow import ValidationError, fields, validates_schema
from marshmallow.validate import Length, Range

from marktplatz_shared.config import ServiceSettings

HOUR = 3600.0
DAY = 24 * HOUR

CATALOG_RPC_TIMEOUT = "CATALOG_RPC_TIMEOUT"
ACCEPT_WINDOW_SECONDS = "ACCEPT_WINDOW_SECONDS"
PICKUP_WINDOW_SECONDS = "PICKUP_WINDOW_SECONDS"
RESERVATION_HOLD_SECONDS = "RESERVATION_HOLD_SECONDS"
PERSONAL_DATA_RETENTION_SECONDS = "PERSONAL_DATA_RETENTION_SECONDS"
STALE_CHECKOUT_SECONDS = "STALE_CHECKOUT_SECONDS"
RELEASE_GRACE_SECONDS = "RELEASE_GRACE_SECONDS"
EXPIRY_INTERVAL = "EXPIRY_INTERVAL"
SETTLEMENT_INTERVAL = "SETTLEMENT_INTERVAL"
ERASURE_INTERVAL = "ERASURE_INTERVAL"
ORDER_TOKEN_SECRET = "ORDER_TOKEN_SECRET"

DEV_ORDER_TOKEN_SECRET = "dev-only-order-token-secret-change-me"

DEFAULT_EXPIRY_INTERVAL = 30.0
DEFAULT_SETTLEMENT_INTERVAL = 10.0
DEFAULT_ERASURE_INTERVAL = HOUR


class OrdersSettings(ServiceSettings):
    SECRETS = {ORDER_TOKEN_SECRET: DEV_ORDER_TOKEN_SECRET}

    #: how long a call to catalog may take before checkout answers Unavailable
    CATALOG_RPC_TIMEOUT = fields.Float(load_default=5.0, validate=Range(min=0.01))
    #: a vendor order not accepted within this window expires (24 h)
    ACCEPT_WINDOW_SECONDS = fields.Float(load_default=DAY, validate=Range(min=0.01))
    #: a ready vendor order not collected within this window expires (48 h)
    PICKUP_WINDOW_SECONDS = fields.Float(load_default=2 * DAY, validate=Range(min=0.01))
    #: expires_at of reservations in catalog: the backstop for a leak; must outlast any open vendor order
    RESERVATION_HOLD_SECONDS = fields.Float(load_default=14 * DAY, validate=Range(min=1))
    #: the shopper's contact is erased this long after the order closed (DSGVO; 90 days)
    PERSONAL_DATA_RETENTION_SECONDS = fields.Float(load_default=90 * DAY, validate=Range(min=0))
    #: a checkout still pending after this long was abandoned (a crashed process): compensated by the sweeper
    STALE_CHECKOUT_SECONDS = fields.Float(load_default=120.0, validate=Range(min=0.1))
    #: one more release this long after a failed checkout catches a reserve catalog handled late
    RELEASE_GRACE_SECONDS = fields.Float(load_default=120.0, validate=Range(min=0))
    EXPIRY_INTERVAL = fields.Float(load_default=DEFAULT_EXPIRY_INTERVAL, validate=Range(min=0.01))
    SETTLEMENT_INTERVAL = fields.Float(load_default=DEFAULT_SETTLEMENT_INTERVAL, validate=Range(min=0.01))
    ERASURE_INTERVAL = fields.Float(load_default=DEFAULT_ERASURE_INTERVAL, validate=Range(min=0.01))
    ORDER_TOKEN_SECRET = fields.String(load_default=DEV_ORDER_TOKEN_SECRET, validate=Length(min=16))

    @validates_schema
    def _reservations_outlast_open_orders(self, data, **kwargs):
        longest = max(data[ACCEPT_WINDOW_SECONDS], data[PICKUP_WINDOW_SECONDS])
        if data[RESERVATION_HOLD_SECONDS] <= longest:
            raise ValidationError(
                "must be longer than the accept and pickup windows, or catalog frees stock of open orders",
                RESERVATION_HOLD_SECONDS,
            )
        if data[STALE_CHECKOUT_SECONDS] <= data[CATALOG_RPC_TIMEOUT]:
            raise ValidationError("must be longer than CATALOG_RPC_TIMEOUT", STALE_CHECKOUT_SECONDS)
