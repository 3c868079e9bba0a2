"""SQLite storage: one writer that batches transactions, read connections, numbered migrations, the five stores."""
