"""Scan station: digitise, check, sign and upload citizens' paper dossiers at the one-stop counter."""

__version__ = "0.1.0"
