"""marshmallow schemas: the only way request data crosses into the server.

Unknown fields are rejected (marshmallow's default RAISE); a failed load becomes a 422
`request.invalid` whose details.fields are the schema's messages.
"""
