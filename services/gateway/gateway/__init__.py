"""Marktplatz gateway: the HTTP API for frontends and POS integrations. No business rules of its own."""
