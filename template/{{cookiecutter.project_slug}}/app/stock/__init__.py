"""Stock: the database holds the truth; Redis, when configured, gates a rush in front of it."""
