"""The ``circuitlab`` command: one subcommand per pipeline stage, each in its own ``cmd_*.py`` module."""
