"""Users: profiles, alerts, logging in and password reset codes."""
