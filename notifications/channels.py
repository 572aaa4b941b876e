"""How a message reaches a person: e-mail today. A channel gets a `Letter` already written
in the reader's language and finds the person's own address for it; callers never name a
channel, so another one (Telegram) is one more class in CHANNELS. The send tasks retry a
whole message, so with a second channel a retry after one channel failed repeats it on
the other: such a channel should note what it sent."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from django.core.mail import EmailMultiAlternatives


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

    def send(self, letter: Letter) -> None:
        """Deliver it to those of `letter.to` it reaches; raise when it could not."""


class EmailChannel:
    def reaches(self, person: Person) -> bool:
        return bool(person.email)

    def send(self, letter: Letter) -> None:
        addresses = list(dict.fromkeys(p.email for p in letter.to if self.reaches(p)))
        if not addresses:
            return
        message = EmailMultiAlternatives(
            subject=letter.subject, body=letter.text, to=addresses, headers=letter.headers
        )
        if letter.html:
            message.attach_alternative(letter.html, "text/html")
        for name, content, mimetype in letter.attachments:
            message.attach(name, content, mimetype)
        message.send()


CHANNELS: list[Channel] = [EmailChannel()]


def reaching(person: Person) -> list[Channel]:
    return [channel for channel in CHANNELS if channel.reaches(person)]
