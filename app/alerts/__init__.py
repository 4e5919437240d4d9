"""Alerts: members and lab sites told about new matches for their needs, seeds and saved searches."""
