"""Typed settings of the notifications service."""

from marktplatz_shared.config import ServiceSettings


class NotificationsSettings(ServiceSettings):
    pass
