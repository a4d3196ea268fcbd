"""The ``eservice`` command line."""
