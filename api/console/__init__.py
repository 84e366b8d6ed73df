"""The operator console: a page for people, served as static files (HTML,
CSS and plain ES modules, no build step) that act only through the public
API with the signed-in key. Nothing is rendered with a key on the server."""

from api.console.router import router

__all__ = ["router"]
