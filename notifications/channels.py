"""How a message reaches a person: e-mail today. A channel gets a `Letter` already written
in the reader's language and finds the person's own address for it; callers never name a
channel, so another one (Telegram) is one more class in CHANNELS. The send tasks retry a
whole message, so with a second channel a retry after one channel failed repeats it on
the other: such a channel should note what it sent."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Protocol

from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend


class Person(Protocol):
    """A client (orders.Customer) or a member of staff (a user)."""

    email: str


@dataclass
class Letter:
    to: list[Person]
    subject: str
    text: str
    html: str = ""
    # (file name, content, MIME type)
    attachments: list[tuple[str, bytes, str]] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)


class Channel(Protocol):
    def reaches(self, person: Person) -> bool:
        """The person has an address on this channel."""

    def send(self, letter: Letter, *, session: Session | None = None) -> None:
        """Deliver it to those of `letter.to` it reaches; raise when it could not.
        `session`: the connections of a batch (one SMTP session for all its letters)."""


class EmailChannel:
    def reaches(self, person: Person) -> bool:
        return bool(person.email)

    def send(self, letter: Letter, *, session: Session | None = None) -> None:
        addresses = list(dict.fromkeys(p.email for p in letter.to if self.reaches(p)))
        if not addresses:
            return
        connection = session.mail() if session is not None else None
        message = EmailMultiAlternatives(
            subject=letter.subject,
            body=letter.text,
            to=addresses,
            headers=letter.headers,
            connection=connection,
        )
        if letter.html:
            message.attach_alternative(letter.html, "text/html")
        for name, content, mimetype in letter.attachments:
            message.attach(name, content, mimetype)
        message.send()


class Session:
    """The connections a batch of letters shares: one SMTP session, opened with the first
    letter and closed at the end (`with Session() as session:`). A send that fails drops
    it; the next letter opens a new one."""

    def __init__(self) -> None:
        self._mail: BaseEmailBackend | None = None

    def mail(self) -> BaseEmailBackend:
        if self._mail is None:
            self._mail = get_connection()
            self._mail.open()
        return self._mail

    def drop(self) -> None:
        if self._mail is not None:
            with contextlib.suppress(Exception):  # a broken connection cannot say goodbye
                self._mail.close()
            self._mail = None

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.drop()


CHANNELS: list[Channel] = [EmailChannel()]


def reaching(person: Person) -> list[Channel]:
    return [channel for channel in CHANNELS if channel.reaches(person)]
