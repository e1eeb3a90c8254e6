"""W&B cloud runs through `wandb.Api` (extra `wandb`), with filters, ordering and sampling done by the server."""

from runwise.adapters.sources.wandb_api.source import WandbApiRunSource
from runwise.adapters.sources.wandb_api.uri import WandbUri, parse_uri

__all__ = ["WandbApiRunSource", "WandbUri", "parse_uri"]
