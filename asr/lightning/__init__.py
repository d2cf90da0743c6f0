"""Training with PyTorch Lightning: module, datamodule, schedules, checkpoints, run directory."""
