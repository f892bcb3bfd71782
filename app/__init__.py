"""RingScope command line and user-facing apps."""
