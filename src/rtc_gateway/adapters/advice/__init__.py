"""Prevention advice from Markdown files, and its full-text index."""
