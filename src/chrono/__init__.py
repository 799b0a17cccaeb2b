"""chrono: timeline-style print debugging."""
