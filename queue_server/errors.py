"""The one exception tree of sothutu.

    SothutuError                 code, message (a sentence a person can act on), status
    ├── ConfigError              a wrong or missing value in config.toml: file, key, reason
    ├── DataNotUnderstood        the data's schema version is not one this code knows
    │   └── DataTooNew           the data in Redis is of a newer sothutu than this one
    ├── BadRequest        400    malformed JSON, wrong types, unknown enum values
    │   ├── PayloadTooLarge 413
    │   └── UnsupportedMediaType 415  a body that is not sent as JSON
    ├── Unauthorized      401    missing or wrong credentials
    ├── Forbidden         403    the credentials lack the role
    ├── NotFound          404    unknown office, field, counter, ticket
    ├── RequestTimeout    408    a request's body did not arrive in time
    ├── Conflict          409    a transition not allowed from the current state
    │   └── RangeExhausted 409   the field's ticket numbers for today are used up
    ├── Gone              410    an office the province closed (its reports stay)
    ├── TooManyRequests   429
    └── Unavailable       503    Redis or a printer cannot be reached

The web layer maps these to responses in one table (`queue_server.web.http.errors`).

What an error tells its reader is a key of the text catalogue (`queue_server/web/i18n/`,
vi.toml and en.toml) with the values of its {placeholders}:

    raise BadRequest(text_key="error.value.missing", params={"name": "field"})

The web layer writes it in the reader's language (`web.i18n.error_text`); the error itself
knows no language, so services name texts without importing web. A keyed error's `message`,
for logs, is its key and parameters unless the raiser gives a fuller one (what a parser
said). An error that says several things names a text for each (`more=[Text(...)]`, a
form's problems, a counter's reasons); a value written differently in each language, such
as a name from the configuration, is a `Localized` parameter. An error without a key (a
refusal a store script names with a code no catalogue text covers) says its English
`message` in both languages; `vi=` inline texts, read by `text(lang)`, are not used in the
server (tests/web/test_i18n.py refuses them).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple


class Localized(NamedTuple):
    """A parameter written differently in each language: a name the configuration gives in
    both (`name_vi`, `name_en`)."""

    vi: str
    en: str


class Text(NamedTuple):
    """A catalogue key and the values of its placeholders."""

    text_key: str
    params: Mapping[str, object] = {}


class SothutuError(Exception):
    """`text_key` and `params`: the catalogue text the reader gets and the values of its
    placeholders (a `date` is written the reader's way, a `Localized` in the reader's
    language); `more`: further texts the reader gets after it; `details`: plain data a client acts
    on (answered as `error.details`), e.g. the counter and its state; `extra`: what a store
    script said besides its message, for the service that turns the refusal into one a
    person can act on (not answered)."""

    status = 500
    code = "internal"

    def __init__(
        self, message: str | None = None, *, text_key: str | None = None,
        params: Mapping[str, object] | None = None, more: Sequence[Text] = (),
        vi: str | None = None, code: str | None = None, details: dict[str, Any] | None = None,
    ) -> None:  # fmt: skip
        self.text_key = text_key
        self.params: dict[str, object] = dict(params or {})
        # What the reader is told, in order: the key's text, then each of `more`.
        self.texts: list[Text] = [Text(text_key, self.params), *more] if text_key else []
        if message is None:
            if text_key is None:
                raise TypeError("an error needs a catalogue key or a message")
            message = " ".join([text_key, *(f"{k}={v!r}" for k, v in self.params.items())])
        super().__init__(message)
        self.message = message
        self.message_vi = vi or message
        if code is not None:
            self.code = code
        self.details = details
        self.extra: dict[str, Any] = {}

    def text(self, lang: str) -> str:
        """The inline message in the reader's language ("vi" or "en") of an error without a
        catalogue key; the web layer reads every error through `web.i18n.error_text`."""
        return self.message_vi if lang == "vi" else self.message


class ConfigError(SothutuError):
    """Raised before anything starts; its text is for the operator, in English."""

    code = "config"

    def __init__(self, file: str, key: str, reason: str) -> None:
        super().__init__(f"{file}: {key}: {reason}")
        self.file = file
        self.key = key
        self.reason = reason


class DataNotUnderstood(SothutuError):
    """The data in Redis is of a shape this code does not know: raised before anything
    serves; its text is for the operator, in English."""

    code = "data_not_understood"


class DataTooNew(DataNotUnderstood):
    """The data's schema version is newer than this code's: raised before anything serves
    (an older sothutu must not write data it does not understand); its text is for the
    operator, in English."""

    code = "data_too_new"

    def __init__(self, stored: int, known: int) -> None:
        super().__init__(
            f"the data in Redis has schema version {stored}, newer than this sothutu's "
            f"version {known}: a newer sothutu wrote it. Upgrade sothutu to the version "
            "that wrote the data (or newer) on this machine; this one will not serve it."
        )
        self.stored = stored
        self.known = known


class BadRequest(SothutuError):
    status = 400
    code = "bad_request"


class PayloadTooLarge(BadRequest):
    status = 413
    code = "too_large"


class UnsupportedMediaType(BadRequest):
    status = 415
    code = "unsupported_media_type"


class Unauthorized(SothutuError):
    status = 401
    code = "unauthorized"


class Forbidden(SothutuError):
    status = 403
    code = "forbidden"


class NotFound(SothutuError):
    status = 404
    code = "not_found"


class RequestTimeout(SothutuError):
    status = 408
    code = "request_timeout"


class Conflict(SothutuError):
    status = 409
    code = "conflict"


class RangeExhausted(Conflict):
    code = "numbers_exhausted"


class Gone(SothutuError):
    status = 410
    code = "gone"


class TooManyRequests(SothutuError):
    status = 429
    code = "too_many_requests"


class Unavailable(SothutuError):
    status = 503
    code = "unavailable"
