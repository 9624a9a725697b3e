"""WSGI entry point for production: `gunicorn -w 4 -k gthread --threads 8 --keep-alive 30
server.wsgi:app` (threaded workers keep a tablet's connection open across a sync).

Configured from the environment (HESABU_DATABASE_URL); see docs/deploy.md.
"""

from server.app import create_app

app = create_app()
