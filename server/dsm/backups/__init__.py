"""Backups of DataStores kept as files beside the database: one gzip JSON-lines file per finished backup."""
