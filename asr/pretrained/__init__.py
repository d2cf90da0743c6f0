"""Trained models on disk, without the training stack: run directories (the read side), packed
model folders, the Hugging Face hub, and the one loading path over all three (``load_model``)."""
