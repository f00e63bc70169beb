"""The node's web app (``datadao ui``, DESIGN.md §9).

``services/`` holds the plain functions every page calls (no web framework in them), so the CLI
and the web app share one implementation; ``app.py`` builds the FastAPI app around them,
``security.py`` is its token, CSRF and request-size guard, ``server.py`` binds it. Nothing here
is built at import: the command passes settings in.
"""
