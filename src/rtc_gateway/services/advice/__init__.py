"""Prevention advice: the catalogue, its rendering, and the citizens' subscriptions."""
