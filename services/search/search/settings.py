"""Typed settings of the search service."""

from marshmallow import fields
from marshmallow.validate import OneOf, Range

from marktplatz_shared.config import ServiceSettings

SEARCH_BACKEND = "SEARCH_BACKEND"
SEARCH_INDEX_PATH = "SEARCH_INDEX_PATH"
ELASTICSEARCH_URL = "ELASTICSEARCH_URL"
ELASTICSEARCH_INDEX = "ELASTICSEARCH_INDEX"
COMMIT_INTERVAL = "SEARCH_COMMIT_INTERVAL"
COMMIT_MAX_CHANGES = "SEARCH_COMMIT_MAX_CHANGES"
QUERY_LOG_FLUSH_INTERVAL = "SEARCH_QUERY_LOG_FLUSH_INTERVAL"


class SearchSettings(ServiceSettings):
    SEARCH_BACKEND = fields.String(load_default="tantivy", validate=OneOf(["tantivy", "elasticsearch"]))
    SEARCH_INDEX_PATH = fields.String(load_default=None, allow_none=True)  # default: $MARKTPLATZ_VAR/search-index
    ELASTICSEARCH_URL = fields.String(load_default=None, allow_none=True)
    ELASTICSEARCH_INDEX = fields.String(load_default="marktplatz-products")
    SEARCH_COMMIT_INTERVAL = fields.Float(load_default=1.0, validate=Range(min=0.01, max=60))
    SEARCH_COMMIT_MAX_CHANGES = fields.Integer(load_default=500, validate=Range(min=1))
    SEARCH_QUERY_LOG_FLUSH_INTERVAL = fields.Float(load_default=1.0, validate=Range(min=0.01, max=60))
    # memory a rebuild of the embedded index may use before it writes a segment (fewer segments: faster search)
    SEARCH_REBUILD_MEMORY_MB = fields.Integer(load_default=600, validate=Range(min=50, max=4000))
    # how often an index started afresh (a release changed its fields) tries its rebuild from the catalog
    SEARCH_REBUILD_CHECK_SECONDS = fields.Float(load_default=30.0, validate=Range(min=0.05, max=3600))
    # a region's own synonyms, added to the built-in ones: one group a line, entries separated by commas
    SEARCH_SYNONYMS_FILE = fields.String(load_default=None, allow_none=True)
