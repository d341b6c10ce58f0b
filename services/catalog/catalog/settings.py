"""Typed settings of the catalog service (config.yaml, ``${VAR:default}`` from the environment)."""

from marshmallow import fields
from marshmallow.validate import Length, Range

from marktplatz_shared.config import ServiceSettings

POS_TRUSTED_USERS = "POS_TRUSTED_USERS"
POS_USER_PREFIX = "POS_USER_PREFIX"
POS_MAX_BATCH_LINES = "POS_MAX_BATCH_LINES"
RESERVATION_SWEEP_SECONDS = "RESERVATION_SWEEP_SECONDS"

DEFAULT_POS_TRUSTED_USERS = ["guest"]
DEFAULT_POS_USER_PREFIX = "pos-"
DEFAULT_POS_MAX_BATCH_LINES = 5000
DEFAULT_RESERVATION_SWEEP_SECONDS = 5.0


class CatalogSettings(ServiceSettings):
    #: broker users of the platform itself, trusted to send POS events for any vendor (the dev default: guest)
    POS_TRUSTED_USERS = fields.List(fields.String(), load_default=list(DEFAULT_POS_TRUSTED_USERS))
    #: a retailer's broker user is <prefix><vendor_id> and may send POS events for that vendor only
    POS_USER_PREFIX = fields.String(load_default=DEFAULT_POS_USER_PREFIX, validate=Length(min=1))
    #: the largest stock batch accepted by RPC (events are bounded by their contract: 5000 lines)
    POS_MAX_BATCH_LINES = fields.Integer(load_default=DEFAULT_POS_MAX_BATCH_LINES, validate=Range(min=1, max=5000))
    #: how often expired reservations are released
    RESERVATION_SWEEP_SECONDS = fields.Float(load_default=DEFAULT_RESERVATION_SWEEP_SECONDS, validate=Range(min=0.05))
