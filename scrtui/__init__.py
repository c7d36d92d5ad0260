"""scrtui: run the Summary Care Record GP Summary bulk uploads from a terminal."""

__version__ = "0.1.0"
