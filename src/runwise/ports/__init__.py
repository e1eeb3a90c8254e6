"""Interfaces the services drive, typed in domain terms."""
