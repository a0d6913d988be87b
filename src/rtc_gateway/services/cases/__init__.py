"""Written-complaint services: the cases framework and the services built on it."""
