"""What every domain shares: settings, database, Redis, security, the envelope and errors."""
