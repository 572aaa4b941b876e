"""The project's settings plus where the soak's file-based e-mail backend writes: one
directory that the web processes and the worker share, read back to count messages."""

import os

from config.settings import *  # noqa: F403

EMAIL_FILE_PATH = os.environ["SOAK_MAIL_DIR"]
