"""Atelier's training and export pipeline (see training/README.md)."""
