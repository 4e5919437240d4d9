"""Accounts: people who sign in to the pages by e-mail, for a member or for the secretariat."""
