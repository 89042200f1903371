"""Chip descriptions (data files read at start)."""
