"""gettext that is safe outside a request.

In a request the user's language applies (flask_babel); outside one (the CLI, the task worker) there
is no session to choose a language from, so the Chinese msgid is used as is.
"""
from flask import has_request_context
from flask_babel import gettext as _babel_gettext


def gettext(string: str, **variables) -> str:
    if has_request_context():
        return _babel_gettext(string, **variables)
    return string % variables if variables else string
