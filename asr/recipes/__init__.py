"""Helpers shared by the recipes in egs/ (corpus synthesis, data preparation)."""
