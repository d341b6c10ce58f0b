"""Prometheus metrics of the search service (the kernel's entrypoint metrics come on top)."""

from prometheus_client import Counter, Histogram

INDEX_LAG = Histogram(
    "marktplatz_search_index_lag_seconds",
    "Seconds from a stock_changed event's occurred_at until the change is searchable",
    buckets=(0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 30, 60),
)
INDEX_BATCH_SIZE = Histogram(
    "marktplatz_search_index_batch_documents",
    "Documents written per index commit",
    buckets=(1, 5, 10, 50, 100, 250, 500, 1000, 5000),
)
INDEX_SKIPPED = Counter(
    "marktplatz_search_index_skipped_total",
    "Catalog changes that needed no re-index (stale, unknown or nothing searchable changed)",
    ["event_type"],
)
QUERY_DURATION = Histogram(
    "marktplatz_search_query_seconds",
    "Duration of search queries at the backend",
    ["backend"],
    buckets=(0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1),
)
ZERO_RESULT_QUERIES = Counter("marktplatz_search_zero_result_queries_total", "Searches that found nothing")
