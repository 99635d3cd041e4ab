"""The web pages' files: templates, static scripts and styles, page strings.

Not code: this folder is installed as the package ``registry.web`` (see
``pyproject.toml``) so that ``registry/api/rendering.py`` finds its files through
``importlib.resources`` wherever the registry is installed.
"""
