"""Deployment: promotion of the challenger (serving endpoints and rollout come next)."""
