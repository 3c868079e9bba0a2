"""DataStore Manager Pro companion server: stores, reports and the WebSocket link for the Studio plugin."""

__version__ = "0.1.0"
PROTOCOL_VERSION = 1
