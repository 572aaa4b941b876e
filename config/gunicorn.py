"""gunicorn's settings for the web container: `gunicorn -c config/gunicorn.py config.wsgi`.

Command-line flags still win (the tests bind a free port with one worker)."""

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
accesslog = "-"
# The request id (config/requestid.py) joins a request's access line to the lines the app
# and the tasks it queued wrote.
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms request_id=%({x-request-id}o)s'
