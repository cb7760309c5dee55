"""Notifications: the outbox (a Redis stream per office) and the adapters that send it.

Jobs put reminders in the outbox (`BookingStore.remind`); `OutboxSender` reads them with a
consumer group, hands each to the adapter, and acknowledges it only once sent, so a crash
between the two sends it again rather than never. The adapter is chosen by `[notify] url`:

* ``log:`` (default) writes a line for each message to the log (no text, the phone
  masked: no personal data in logs);
* ``smtp://host:port?from=a@b&to={phone}@sms-gateway`` sends e-mail (to the booking's
  address, else to `to` with the phone filled in: many SMS gateways take e-mail).
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol
from urllib.parse import parse_qs, urlsplit

from queue_server.store.outbox import Outbox

log = logging.getLogger("sothutu.notify")


@dataclass(frozen=True)
class Message:
    id: str
    code: str
    phone: str
    email: str
    text: str


class Adapter(Protocol):
    async def send(self, message: Message) -> bool:
        """Deliver one message; False when it cannot be delivered to anyone (dropped)."""


def masked_phone(phone: str) -> str:
    """A phone number as a log line may show it: its last three digits."""
    return "*" * max(len(phone) - 3, 0) + phone[-3:]


class LogAdapter:
    """Writes a line for the message to the log: its code, the phone number masked, its
    length. Not its text, which may hold a citizen's address (no personal data in logs)."""

    async def send(self, message: Message) -> bool:
        phone = masked_phone(message.phone)
        log.info("reminder %s to %s: %d characters", message.code, phone, len(message.text))
        return True


class EmailAdapter:
    """E-mail through an SMTP server; smtplib blocks, so it runs in a thread."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        query = parse_qs(parts.query)
        self.tls = parts.scheme == "smtps"
        self.host = parts.hostname or "localhost"
        self.port = parts.port or (465 if self.tls else 25)
        self.user = parts.username
        self.password = parts.password
        self.sender = query.get("from", ["sothutu@localhost"])[0]
        self.to_template = query.get("to", [""])[0]
        self.subject = query.get("subject", ["Nhắc lịch hẹn"])[0]

    def recipient(self, message: Message) -> str | None:
        if message.email:
            return message.email
        if self.to_template and message.phone:
            return self.to_template.replace("{phone}", message.phone)
        return None

    async def send(self, message: Message) -> bool:
        to = self.recipient(message)
        if to is None:
            log.warning("reminder %s has no e-mail address; dropped", message.code)
            return False
        mail = EmailMessage()
        mail["From"] = self.sender
        mail["To"] = to
        mail["Subject"] = self.subject
        mail.set_content(message.text)
        await asyncio.to_thread(self._deliver, mail)
        return True

    def _deliver(self, mail: EmailMessage) -> None:
        smtp_class = smtplib.SMTP_SSL if self.tls else smtplib.SMTP
        with smtp_class(self.host, self.port, timeout=10) as smtp:
            if self.user and self.password:
                smtp.login(self.user, self.password)
            smtp.send_message(mail)


def adapter_from_url(url: str) -> Adapter:
    if url.startswith(("smtp://", "smtps://")):
        return EmailAdapter(url)
    return LogAdapter()


class OutboxSender:
    def __init__(self, outbox: Outbox, adapter: Adapter, consumer: str = "sender") -> None:
        self.outbox = outbox
        self.adapter = adapter
        self.consumer = consumer

    async def send_pending(self, slug: str, count: int = 100) -> int:
        """Sends what waits in the office's outbox (first what a crash left unacknowledged);
        returns how many were sent. A failed send stays pending for the next run."""
        await self.outbox.ensure_group(slug)
        sent = 0
        for pending in (True, False):
            entries = await self.outbox.read(slug, self.consumer, pending=pending, count=count)
            for eid, fields in entries:
                if not fields:
                    continue  # acknowledged and trimmed meanwhile
                message = Message(
                    eid, fields.get("code", ""), fields.get("phone", ""),
                    fields.get("email", ""), fields.get("text", ""),
                )  # fmt: skip
                try:
                    delivered = await self.adapter.send(message)
                except (OSError, smtplib.SMTPException) as exc:
                    log.warning("reminder %s not sent, will retry: %s", message.code, exc)
                    continue
                await self.outbox.ack(slug, eid)
                sent += int(delivered)
        return sent
