"""Adapters of the orders service: its tables and repository, and the port to catalog."""
