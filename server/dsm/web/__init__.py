"""What the companion serves to a browser: the dashboard with its live charts, the reports API, the token login and
report share links (`routes.py` wires them)."""
