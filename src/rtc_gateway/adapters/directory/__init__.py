"""The units' directory read from CSV files."""
