"""`vocals`: submit Add Vocals tasks to the provider and read their status, from the command line."""
