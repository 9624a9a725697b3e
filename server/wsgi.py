"""WSGI entry point for production: `gunicorn -w 4 server.wsgi:app`.

Configured from the environment (HESABU_DATABASE_URL); see docs/deploy.md.
"""

from server.app import create_app

app = create_app()
