"""The Hesabu server: sync API for devices and hubs, on SQLite or PostgreSQL.

Build it with `server.app.create_app(config)`; `server.wsgi:app` is the entry point
for gunicorn.
"""
