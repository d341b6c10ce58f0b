"""Marktplatz catalog service."""
