"""Pure domain rules: no Textual, peewee, aiohttp or card imports (enforced by import-linter)."""
