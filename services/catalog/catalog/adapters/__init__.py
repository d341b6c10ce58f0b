"""The catalog's tables and the repository that reads and writes them."""
