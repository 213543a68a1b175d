"""Use cases. They take ports as arguments and never read the environment or build clients."""
