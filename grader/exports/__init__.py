"""Renderers for the formats other tools read: each renders one format and holds no policy."""
