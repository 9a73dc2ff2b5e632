"""Ingest: discover publishers' files in a data folder, validate them and write tidy tables."""
