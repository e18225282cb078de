"""One router per resource: health, projects (and generate), files, events."""
