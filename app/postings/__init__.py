"""Needs and seeds: what members want solved and what they offer."""
