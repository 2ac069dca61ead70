"""Thin xAPI views (filled in below)."""
