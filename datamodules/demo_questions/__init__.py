"""The embedded, generated French/English question corpus (the offline translation demo)."""
