"""Use cases that drive the ports and the domain."""
