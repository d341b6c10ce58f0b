"""Typed settings of the catalog service."""

from marktplatz_shared.config import ServiceSettings


class CatalogSettings(ServiceSettings):
    pass
