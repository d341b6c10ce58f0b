"""Marktplatz shared kernel: the published language of the platform and its messaging plumbing.

It holds no service's business rules.
"""
