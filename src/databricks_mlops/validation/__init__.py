"""Data validation: rules in the expression language, evaluated in one Spark pass."""
