"""Notifiers: Slack incoming webhooks and a command run with the notice as JSON on stdin."""
