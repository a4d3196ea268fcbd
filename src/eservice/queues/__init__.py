"""Clerk queues: department counts, filtered lists, claiming work."""
