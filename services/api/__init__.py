"""The HTTP API: FastAPI routes over the Lianjie application (see create_app)."""
