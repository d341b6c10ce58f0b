"""Typed settings of the orders service."""

from marktplatz_shared.config import ServiceSettings


class OrdersSettings(ServiceSettings):
    pass
