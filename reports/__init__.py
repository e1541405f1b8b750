"""coprod reports package."""
