"""Marktplatz notifications service."""
