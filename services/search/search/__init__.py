"""Marktplatz search service."""
