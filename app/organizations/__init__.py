"""Members of the community: the directory and its upkeep."""
