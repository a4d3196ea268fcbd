"""Filing, history, comments, transitions, assignment, deadlines and timers of requests."""
