"""Adapters on plain files of the data directory."""
