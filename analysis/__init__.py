"""coprod analysis package."""
