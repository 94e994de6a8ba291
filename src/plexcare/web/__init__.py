"""The web shell: the FastAPI application that serves pages and the JSON API."""
