"""The WebSocket link to the Studio plugin: envelope, codecs, connections and ops."""
