"""Who may call what. Three audiences: shoppers (public), retailers (a key bound to one vendor), the operator.

A retailer acts only on its own vendor: the vendor in the path must be the key's vendor. The operator may
act on any vendor; a retailer can never reach operator endpoints.
"""

from __future__ import annotations

from enum import StrEnum

from .keys import Principal, Role


class Audience(StrEnum):
    PUBLIC = "public"
    RETAILER = "retailer"
    OPERATOR = "operator"


class Decision(StrEnum):
    ALLOW = "allow"
    UNAUTHENTICATED = "unauthenticated"  # 401: no valid key
    FORBIDDEN = "forbidden"  # 403: a valid key that may not do this


def decide(audience: Audience, principal: Principal, path_vendor_id: str | None = None) -> Decision:
    if audience is Audience.PUBLIC:
        return Decision.ALLOW
    if principal.role is None:
        return Decision.UNAUTHENTICATED
    if principal.role is Role.OPERATOR:
        return Decision.ALLOW
    if audience is Audience.OPERATOR:
        return Decision.FORBIDDEN
    if path_vendor_id is None or principal.vendor_id != path_vendor_id:
        return Decision.FORBIDDEN
    return Decision.ALLOW
