"""The page that puts the trained models in a browser (``app.py``): request handlers, the server, static files."""
