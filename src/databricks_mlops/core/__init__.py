"""Stage implementations on Spark (ingestion first)."""
