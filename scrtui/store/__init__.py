"""SQLite storage through peewee: the only package that knows SQL."""
