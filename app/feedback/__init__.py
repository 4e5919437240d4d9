"""Feedback of members on the pairs the matching proposes."""
