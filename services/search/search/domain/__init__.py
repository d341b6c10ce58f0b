"""The pure core of search: analysis, the field description, the query model and ranking rules (no I/O)."""
