"""Workflow definitions (data) and the pure engine that decides transitions."""
