"""Marktplatz orders service."""
