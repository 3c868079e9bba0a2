"""Webhook notifications (Discord, Slack, plain JSON) of anomalies found and daily summaries."""
