"""An e-mail backend whose server is down: every send raises, and the attempts are counted."""

import smtplib

from django.core.mail.backends.base import BaseEmailBackend

attempts: list[str] = []


class EmailBackend(BaseEmailBackend):
    def send_messages(self, messages) -> int:
        attempts.extend(message.subject for message in messages)
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
