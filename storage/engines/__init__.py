"""The database engines behind storage.db's seam: SQLite (embedded, the default) and
PostgreSQL (DATABASE_URL, for replicas on several machines)."""
