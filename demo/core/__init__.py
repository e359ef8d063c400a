"""The site itself: home page, shared layout, request-wide receivers, seeding."""
