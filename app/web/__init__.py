"""Server-rendered web pages: search, my page, member profiles, the secretariat's dashboard, lab embeds."""
