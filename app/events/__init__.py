"""Business-matching events: participants, requests, the 1:1 meeting schedule and its outcomes."""
