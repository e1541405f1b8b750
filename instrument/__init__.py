"""coprod instrument package."""
