"""Forms of the coordinator workspace; thin: they validate input, services write."""
