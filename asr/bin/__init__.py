"""Command-line entry points (argparse CLIs and Hydra apps); the only place configs are read."""
