"""Report computations (one module per type) and exporters (json, csv, html)."""
