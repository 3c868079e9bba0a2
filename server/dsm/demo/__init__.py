"""`dsm demo`: a month of sample activity through the real link, for a first run that shows something."""
