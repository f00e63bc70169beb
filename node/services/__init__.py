"""What the web app's pages do, as plain functions over a :class:`~node.services.node.UiNode`.

No FastAPI, Jinja2 or click here: a command-line shell can call the same functions.
"""
