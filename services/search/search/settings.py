"""Typed settings of the search service."""

from marktplatz_shared.config import ServiceSettings


class SearchSettings(ServiceSettings):
    pass
