"""Parsed runs kept on disk between processes (the RunStore port), in the user's cache folder."""
