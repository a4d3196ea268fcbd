"""Cross-cutting platform pieces: settings, database, errors, logging, pagination."""
