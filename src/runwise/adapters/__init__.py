"""Adapters: log sources, renderers, token counters. Vendor packages are imported inside them only."""
