"""Rollups of the raw events, the latency sketch and the statistics the reports use."""
