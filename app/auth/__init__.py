"""API keys: who calls the API, with which role, for which member or lab."""
