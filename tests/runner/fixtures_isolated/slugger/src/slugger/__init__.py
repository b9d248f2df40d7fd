"""A tiny task package: ``$packageName.$entryPoint()`` finds ``notes`` here."""

from slugger.tasks import notes

__all__ = ["notes"]
