"""Cross-service tests: they run the platform as `make up` does, every service its own process."""
