"""The 1C exchange: what was sent to and taken from 1C (CommerceML 2, "обмен с сайтом")."""

from django.db import models  # noqa: F401
