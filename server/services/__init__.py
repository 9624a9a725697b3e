"""Business rules and every database query. Blueprints call these; nothing else queries."""
