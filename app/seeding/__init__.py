"""The shipped community data: labs, demo members and support programs, loaded into a new database once."""
