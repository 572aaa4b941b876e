"""An e-mail backend slow enough that a second delivery of the same send task runs while
the first is still talking to the server (a redelivered message, or a sweep re-queue)."""

from django.core.mail.backends.locmem import EmailBackend as LocmemBackend

redelivered: list[int] = []


class EmailBackend(LocmemBackend):
    def send_messages(self, messages) -> int:
        if redelivered and len(redelivered) == 1:
            from notifications.tasks import send_client_email

            redelivered.append(redelivered[0])
            send_client_email.apply(args=[redelivered[0]])
        return super().send_messages(messages)
