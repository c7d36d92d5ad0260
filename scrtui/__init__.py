"""scrtui: run the Summary Care Record Initial Upload from a terminal."""

__version__ = "0.1.0"
