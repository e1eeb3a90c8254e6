"""One package or module per log source; each conforms to runwise.ports.run_source.RunSource."""
