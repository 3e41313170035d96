"""Serving HTTP, shared by the fakes and the suite's own receiving endpoint: small WSGI apps routed by
werkzeug (`serving.web`) on waitress (`serving.server`). Infrastructure only: no rule lives here."""
