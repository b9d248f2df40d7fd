"""Ingestion on Spark: source -> transformation steps -> a staged batch -> the Delta table."""
