"""Documents and photos attached to requests: uploads, storage backends, downloads."""
