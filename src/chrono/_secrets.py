"""Which text is secret: values under secret-looking names, and values that look like secrets.

Two passes over a text, each linear in its length. The first finds the forms a credential
takes whatever it is called (the credential after an HTTP auth scheme, the password in a URL,
a private key block, tokens whose format announces them); the second masks the value of every
``key=value`` or ``'key': value`` whose key looks secret. Both see repr text, where a line
break is ``\\n`` and a string sits between quotes, and free text (a log message) alike.
"""

from __future__ import annotations

import re
from functools import cached_property
from typing import NamedTuple

__all__ = [
    "DEFAULT_SECRET_NAMES",
    "MASK",
    "MASKED_ARGUMENT",
    "Secrets",
    "TemplateSecrets",
    "looks_like_sql",
    "secrets_from",
    "template_secrets",
]

MASK = "<masked>"

#: Argument texts and mapping keys whose values are masked unless configured otherwise.
DEFAULT_SECRET_NAMES = (
    r"passw(?:or)?d|passphrase|pwd|secret|token|api[_-]?key|apikey|access[_-]?key"
    r"|private[_-]?key|authori[sz]ation|auth[_-]?header|cookie|session[_-]?id|csrf"
    r"|credential|signature|dsn"
)


class _Form(NamedTuple):
    """One form a secret takes in text: the literal words that announce it, how many
    characters before those words the form starts, and its pattern (compiled when first
    needed: ``_PATTERNS.of_form``), whose group ``secret`` is what gets masked (the rest, such
    as a scheme word or a token's prefix, stays in view)."""

    anchors: tuple[str, ...]
    back: int
    pattern: str
    #: Text the form cannot match without (a URL's "@"): tested first, at C speed, so that a
    #: plain URL costs no match.
    requires: str


def _form(anchors: tuple[str, ...], pattern: str, back: int = 0, requires: str = "") -> _Form:
    return _Form(anchors, back, pattern, requires)


#: HTTP authentication schemes whose credential is one token (RFC 7235's token68).
_TOKEN_SCHEMES = ("Bearer", "bearer", "BEARER", "Basic", "Token", "ApiKey", "Negotiate", "NTLM")
#: Schemes whose credential is a list of parameters (``username="…", response="…"``).
_PARAMETER_SCHEMES = ("Digest", "OAuth")

#: The forms, learned from what secret scanners (detect-secrets, gitleaks) look for. A free
#: text has no quotes to end a value, so each form says where its secret ends.
_FORMS = (
    # scheme://user:password@host: the password.
    _form(("://",), r"://[^\s/?#@:'\"]*:(?P<secret>[^\s/?#@'\"]+)@", requires="@"),
    # A PEM private key (RSA, EC, DSA, OPENSSH, PGP, PKCS#8, encrypted): its body, up to the
    # END line, which stays; a body cut short by the repr limit is masked to its end.
    _form(
        ("-----BEGIN ",),
        r"-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----"
        r"(?P<secret>(?:(?!-----END)[\w\s+/=:,.\\-])+)",
        requires="PRIVATE KEY",
    ),
    # Authorization: Bearer <credential>. Outside a secret-looking key these scheme words are
    # also plain English ("Basic support"), so the credential must look like one: eight
    # characters or more, with a digit, a sign that words do not have, or a capital inside.
    _form(
        _TOKEN_SCHEMES,
        r"(?<![\w-])[A-Za-z]+[ \t]+"
        r"(?P<secret>(?=[\w.~+/-]*(?:[\d+/=_.~-]|[a-z][A-Z]))[\w.~+/-]{8,}=*)",
    ),
    # Its parameters hold quotes: a repr of it is between single quotes (a quote inside is
    # escaped), so the secret runs to one, or to the end of the line.
    _form(_PARAMETER_SCHEMES, r"(?<![\w-])[A-Za-z]+[ \t]+(?=\w+=)(?P<secret>[^'\r\n\\]+)"),
    # Stripe's secret and restricted keys (sk_live_, rk_test_, and the sk-live- spelling);
    # OpenAI's and Anthropic's keys (sk-proj-, sk-ant-).
    _form(
        ("k_live_", "k-live-", "k_test_", "k-test-"),
        r"(?<![\w-])[sr]k[_-](?:live|test)[_-](?P<secret>[0-9A-Za-z]{4,})",
        back=1,
    ),
    _form(("k-proj-", "k-ant-"), r"(?<![\w-])sk-[a-z]+-(?P<secret>[\w-]{8,})", back=1),
    # GitHub tokens (personal, OAuth, user-to-server, server-to-server, refresh; fine-grained).
    _form(
        ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
        r"(?<![\w-])(?:gh[pousr]|github_pat)_(?P<secret>\w{16,})",
    ),
    # GitLab personal access tokens.
    _form(("glpat-",), r"(?<![\w-])glpat-(?P<secret>[\w-]{16,})"),
    # Slack tokens (bot, user, app-level, refresh, legacy).
    _form(("xox",), r"(?<![\w-])xox[abeoprs]-(?P<secret>[0-9A-Za-z-]{6,})"),
    # AWS access key ids (long-term and temporary).
    _form(("AKIA", "ASIA"), r"(?<![A-Z0-9])A[KS]IA(?P<secret>[A-Z0-9]{16})(?![A-Z0-9])"),
    # Google API keys.
    _form(("AIza",), r"(?<![\w-])AIza(?P<secret>[\w-]{30,})"),
    # SendGrid API keys.
    _form(("SG.",), r"(?<![\w-])SG\.(?P<secret>[\w-]{16,}\.[\w-]{16,})"),
    # JSON Web Tokens: header.payload.signature, each base64url, both JSON parts "{…" (eyJ).
    _form(("eyJ",), r"(?<![\w-])(?P<secret>eyJ[\w-]{4,}\.eyJ[\w-]{4,}\.[\w-]*)", requires=".eyJ"),
)
_FORM_BY_ANCHOR = {anchor: form for form in _FORMS for anchor in form.anchors}
#: A character that every form holds one of: ":" a URL's, "-" a key block's, a dash or an
#: underscore a token prefix's (Slack's and JWT's need "-" and "."), a scheme word's capital.
_FORM_CHARACTERS = (".", "_", ":", "-", "A", "B", "b", "T", "N", "D")
#: Shorter texts are scanned at once: the scan costs less than the test that could spare it.
_LONG_TEXT = 64
#: The name of the alternative of the scanning pattern that holds the user's own patterns.
_OWN = "own"


def _scanning_pattern(forms: bool, own: str) -> re.Pattern[str] | None:
    """One pattern that finds where a secret may start: the user's own patterns (a match of
    those is masked whole), then the forms' anchors.

    The anchors are literal words grouped by their first character, so that the engine skips
    text by one character test until one of those characters comes.
    """
    alternatives = []
    if own:
        # First, so that where one of chrono's words starts a match of the user's own, theirs
        # is tried too (while it is there, the engine cannot skip text as fast).
        alternatives.append(f"(?P<{_OWN}>{own})")
    if forms:
        by_first: dict[str, list[str]] = {}
        for anchor in _FORM_BY_ANCHOR:
            by_first.setdefault(anchor[0], []).append(re.escape(anchor[1:]))
        for first, rests in by_first.items():
            alternatives.append(f"{re.escape(first)}(?:{'|'.join(rests)})")
    return re.compile("|".join(alternatives)) if alternatives else None


class _Patterns:
    """The module's regular expressions, each compiled when first used, then read as a plain
    attribute. Compiled at import, they cost every process that imports chrono (every pytest
    run with the plugin) about 1.7 ms, and most runs mask nothing."""

    def __init__(self) -> None:
        self._forms: dict[str, re.Pattern[str]] = {}

    def of_form(self, form: _Form) -> re.Pattern[str]:
        found = self._forms.get(form.pattern)
        if found is None:
            found = self._forms[form.pattern] = re.compile(form.pattern)
        return found

    @cached_property
    def scheme_word(self) -> re.Pattern[str]:
        """An auth scheme word and its spaces at the start of a secret-looking key's value:
        the value masked is the credential after it (``Authorization: Bearer <masked>``)."""
        return re.compile(
            r"(?i:bearer|basic|token|digest|negotiate|ntlm|oauth|apikey|api-key|hoba|mutual|hawk"
            r"|scram-sha-1|scram-sha-256|vapid|aws4-hmac-sha256)[ \t]+(?=[^\s'\"])"
        )

    @cached_property
    def value_token(self) -> re.Pattern[str]:
        """What can end a value in a repr, or nest one: quotes, brackets, separators."""
        return re.compile(r"""['"(\[{<)\]}>,\s]""")

    @cached_property
    def string_prefix(self) -> re.Pattern[str]:
        return re.compile(r"[bBrRuU]{0,2}")

    @cached_property
    def quoted_rest(self) -> dict[str, re.Pattern[str]]:
        return {quote: re.compile(rf"(?:[^{quote}\\]|\\.)*{quote}", re.S) for quote in "'\""}

    @cached_property
    def format_field(self) -> re.Pattern[str]:
        """A %-format field of a log message (``%s``, ``%(name)s``, ``%.3f``; ``%%`` is none)."""
        return re.compile(
            r"%(?:\((?P<name>[^)]*)\))?[#0 +-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?"
            r"(?P<kind>[diouxXeEfFgGcrsa%])"
        )

    @cached_property
    def sql_piece(self) -> re.Pattern[str]:
        """What an SQL statement holds in the place of a value: a placeholder (%s, ?,
        %(name)s), a quoted string, or a plain token; and its quoted names ("…", `…`, […]) to
        step over."""
        return re.compile(
            r"""%\((?P<named>[^)]*)\)s|(?P<placeholder>%s|\?)|'(?:[^']|'')*'?|"[^"]*"?|`[^`]*`?"""
        )

    @cached_property
    def sql_statement(self) -> re.Pattern[str]:
        return re.compile(
            r"\s*(?:\d+ times: )?(?:SELECT|INSERT|UPDATE|DELETE|REPLACE|WITH|UPSERT|MERGE)\b",
            re.I,
        )

    @cached_property
    def insert(self) -> re.Pattern[str]:
        return re.compile(
            r"\b(?:INSERT|REPLACE)\s+(?:OR\s+\w+\s+)?INTO\s+[^(\s]+\s*\((?P<columns>[^()]*)\)"
            r"\s*VALUES\s*",
            re.I,
        )


_PATTERNS = _Patterns()


class Secrets:
    """What is secret: names (argument texts, keys inside a text) and values that look secret.

    ``names`` is a regular expression, searched case-insensitively (``""``: no name is secret);
    ``forms`` says whether the forms chrono knows are masked; ``values`` is a regular
    expression of the user's own whose every match is masked (``""``: none).
    """

    #: Compiled when first read (``__getattr__``): the default secrets are made when chrono is
    #: imported, and most processes never mask anything.
    name_pattern: re.Pattern[str] | None
    key_pattern: re.Pattern[str] | None
    scanning_pattern: re.Pattern[str] | None

    def __init__(self, names: str, *, forms: bool = True, values: str = "") -> None:
        self.names = names
        self.forms = forms
        self.values = values
        #: One of these is in every text where the scan can find something; a pattern of the
        #: user's own may match anything (the empty string is in every text).
        self.form_characters = ("",) if values else _FORM_CHARACTERS

    def __getattr__(self, name: str) -> re.Pattern[str] | None:
        # Only while a pattern is missing: compiling sets all three as plain attributes.
        if name not in ("name_pattern", "key_pattern", "scanning_pattern"):
            raise AttributeError(name)
        self.compile()
        return getattr(self, name)  # type: ignore[no-any-return]

    def compile(self) -> None:
        """Compile the patterns now (a bad pattern raises ``re.error`` here)."""
        names = self.names
        name_pattern = key_pattern = None
        if names:
            name_pattern = re.compile(names, re.IGNORECASE)
            # Works on repr text, so dicts, dataclasses, named tuples and keyword-style reprs
            # are masked alike without walking the object a second time.
            # A key starts where a run of name characters starts: a match tried from inside a
            # run would scan the rest of the run from each of its characters (quadratic: a
            # 10 kB word after a secret key took seconds).
            key_pattern = re.compile(
                rf"""(?<![\w.-])['"]?[\w.-]*(?:{names})[\w.-]*['"]?\s*[:=]\s*""", re.IGNORECASE
            )
        scanning_pattern = _scanning_pattern(self.forms, self.values)
        self.name_pattern = name_pattern
        self.key_pattern = key_pattern
        self.scanning_pattern = scanning_pattern

    def is_secret_name(self, text: str) -> bool:
        """Whether an argument written as ``text`` holds a secret."""
        return self.name_pattern is not None and self.name_pattern.search(text) is not None

    def mask(self, text: str) -> str:
        """``text`` with every secret masked: values that look secret, then the value of every
        secret ``key=value`` / ``'key': value``."""
        # On the hot path (every recorded repr): one scan each, and the work past it only
        # where a scan found something.
        scanning = self.scanning_pattern
        if scanning is not None and len(text) >= _LONG_TEXT:
            # The scan costs some fifty instructions a character; a text holding none of the
            # characters every form needs (a list of numbers) is told by one memchr each.
            for character in self.form_characters:
                if character in text:
                    break
            else:
                scanning = None
        if scanning is not None:
            hit = scanning.search(text)
            if hit is not None:
                text = self._mask_values(text, scanning, hit)
        name_pattern = self.name_pattern
        if (
            name_pattern is not None
            and ("=" in text or ":" in text)
            and name_pattern.search(text) is not None
        ):
            text = self._mask_fields(text)
        return text

    @staticmethod
    def _mask_values(text: str, scanning: re.Pattern[str], first: re.Match[str]) -> str:
        hit: re.Match[str] | None = first
        present: dict[str, bool] = {}
        pieces: list[str] = []
        done = 0
        while hit is not None:
            start = end = hit.end()
            if hit.lastgroup == _OWN:
                start, end = hit.span()
            else:
                form = _FORM_BY_ANCHOR[hit.group()]
                has = present.get(form.requires)
                if has is None:  # asked once per text: asked per hit, it would be quadratic
                    has = present[form.requires] = form.requires in text
                if has:
                    found = _PATTERNS.of_form(form).match(text, max(hit.start() - form.back, 0))
                    if found is not None:
                        start, end = found.span("secret")
            if end > start and start >= done:
                pieces += [text[done:start], MASK]
                done = end
            hit = scanning.search(text, max(end, hit.start() + 1))
        pieces.append(text[done:])
        return "".join(pieces)

    def _mask_fields(self, text: str) -> str:
        # Called only where a field may be (see mask): without "=" or ":" there is none, and
        # the plain name search is linear, where the assignment pattern is not.
        key_pattern = self.key_pattern
        if key_pattern is None:
            return text
        pieces: list[str] = []
        done = 0
        for key in key_pattern.finditer(text):
            if key.start() < done:
                continue  # a key inside a value already masked
            start = key.end()
            scheme = _PATTERNS.scheme_word.match(text, start)
            if scheme is not None:
                start = scheme.end()  # the scheme word says how, not what: it stays
            end = _value_end(text, start)
            if end > start and text[start:end] != MASK:
                pieces += [text[done:start], MASK]
                done = end
        pieces.append(text[done:])
        return "".join(pieces)


def secrets_from(names: str, forms: bool, values: str) -> Secrets | None:
    """The ``Secrets`` for these settings, or None when nothing is masked at all."""
    if not names and not forms and not values:
        return None
    secrets = Secrets(names, forms=forms, values=values)
    secrets.compile()  # configure() says at once when a pattern is bad
    return secrets


def _value_end(text: str, start: int) -> int:
    """Where the value starting at ``start`` ends: a whole string, or a whole bracketed
    container (so that a secret list or dict is masked entirely), or a plain token."""
    value_token = _PATTERNS.value_token
    string_prefix = _PATTERNS.string_prefix
    quoted_rest = _PATTERNS.quoted_rest
    depth = 0
    position = start
    while True:
        token = value_token.search(text, position)
        if token is None:
            return len(text)
        char, index = token.group(), token.start()
        if char in "'\"":
            if depth == 0 and not string_prefix.fullmatch(text, start, index):
                return index  # the quote that closes a string holding ``key=value``
            rest = quoted_rest[char].match(text, index + 1)
            if rest is None:
                return len(text)
            position = rest.end()
        elif char in "([{<":
            depth += 1
            position = index + 1
        elif depth == 0:
            return index
        elif char in ")]}>":
            depth -= 1
            position = index + 1
        else:
            position = index + 1


# -- the arguments that fill a template: a log message's, an SQL statement's --------------------


class _MaskedArgument:
    """An argument in the place of a secret one: formatted by %s or %r, it shows the mask."""

    __slots__ = ()

    def __repr__(self) -> str:
        return MASK

    __str__ = __repr__


MASKED_ARGUMENT = _MaskedArgument()

_SQL_NAME_QUOTES = "\"'`[] \t\r\n"


def looks_like_sql(text: str) -> bool:
    """Whether ``text`` is an SQL statement that takes values (as a database's log shows)."""
    return _PATTERNS.sql_statement.match(text) is not None


def _secret_spans(template: str, secrets: Secrets) -> list[tuple[int, int]]:
    """Where ``template`` holds a secret value: after a secret-looking key (``password = %s``,
    ``"password" = 'x'``), and in an INSERT's values at a secret-looking column."""
    spans: list[tuple[int, int]] = []
    key_pattern = secrets.key_pattern
    if key_pattern is None:
        return spans
    if "=" in template or ":" in template:
        for key in key_pattern.finditer(template):
            spans.append((key.end(), _sql_value_end(template, key.end())))
    for insert in _PATTERNS.insert.finditer(template):
        columns = [
            secrets.is_secret_name(column.strip(_SQL_NAME_QUOTES))
            for column in insert.group("columns").split(",")
        ]
        if any(columns):
            for row in _sql_rows(template, insert.end()):
                spans += [span for span, secret in zip(row, columns) if secret]
    return spans


def _is_field(text: str, sql: bool) -> bool:
    if not sql:
        return _PATTERNS.format_field.fullmatch(text) is not None
    piece = _PATTERNS.sql_piece.fullmatch(text)
    return piece is not None and (piece.group("placeholder") or piece.group("named")) is not None


def _sql_value_end(text: str, start: int) -> int:
    """Where the SQL value (a placeholder, a quoted string, a token) at ``start`` ends."""
    piece = _PATTERNS.sql_piece.match(text, start)
    if piece is not None:
        return piece.end()
    end = start
    while end < len(text) and text[end] not in " \t\r\n,;)":
        end += 1
    return end


def _sql_rows(text: str, start: int) -> list[list[tuple[int, int]]]:
    """The spans of each value of each ``(…)`` row of a VALUES list starting at ``start``."""
    rows = []
    position = start
    while position < len(text) and text[position] == "(":
        row: list[tuple[int, int]] = []
        position += 1
        value_start = position
        depth = 0
        while position < len(text):
            char = text[position]
            if char in "'\"`":
                piece = _PATTERNS.sql_piece.match(text, position)
                position = piece.end() if piece is not None else position + 1
                continue
            if char == "(":
                depth += 1
            elif char == ")" and depth:
                depth -= 1
            elif char in ",)" and depth == 0:
                row.append((_skip_spaces(text, value_start), position))
                position += 1
                value_start = position
                if char == ")":
                    break
                continue
            position += 1
        rows.append(row)
        position = _skip_spaces(text, position)
        if position < len(text) and text[position] == ",":
            position = _skip_spaces(text, position + 1)
    return rows


def _skip_spaces(text: str, position: int) -> int:
    while position < len(text) and text[position] in " \t\r\n":
        position += 1
    return position


class TemplateSecrets(NamedTuple):
    """What is secret in a template: its text with the values written in it masked, the
    fields whose arguments are secret (positions, or names), and those values' texts."""

    text: str
    fields: frozenset[int | str]
    written: frozenset[str]

    def mask(self, arguments: object) -> object:
        """``arguments`` (a tuple, a list, a mapping for named fields) with the secret ones
        masked: those at secret fields, and those whose text is a secret value written in the
        template. Anything else is given back as it is."""
        fields, written = self.fields, self.written

        def secret(key: int | str, value: object) -> bool:
            if key in fields:
                return True
            return bool(written) and isinstance(value, (str, int, float)) and str(value) in written

        if isinstance(arguments, dict):
            return {
                key: MASKED_ARGUMENT if secret(key, value) else value
                for key, value in arguments.items()
            }
        if isinstance(arguments, (tuple, list)):
            masked = [
                MASKED_ARGUMENT if secret(at, value) else value
                for at, value in enumerate(arguments)
            ]
            return tuple(masked) if isinstance(arguments, tuple) else masked
        return arguments


def template_secrets(template: str, secrets: Secrets, *, sql: bool) -> TemplateSecrets:
    """What is secret in ``template``, whose fields arguments fill.

    A field is secret where a secret-looking key comes before it (``password = %s``), where an
    INSERT's column list names a secret at its place, or where its own name looks secret
    (``%(password)s``). ``sql`` says the template is an SQL statement (placeholders %s, ? or
    %(name)s; quoted strings stepped over), else a log message's %-format fields. A statement
    logged with its values written in (``"password" = 'x'``) has those values masked, and so
    has every argument equal to one of them.
    """
    name_pattern = secrets.name_pattern
    if name_pattern is None or name_pattern.search(template) is None:
        # Every way a field is secret names a secret in the template: the common case.
        return TemplateSecrets(template, frozenset(), frozenset())
    spans = sorted(_secret_spans(template, secrets))
    fields = _PATTERNS.sql_piece if sql else _PATTERNS.format_field
    secret_fields: set[int | str] = set()
    index = 0
    span_index = 0
    for field in fields.finditer(template):
        name = field.group("named" if sql else "name")
        if sql and name is None and field.group("placeholder") is None:
            continue  # a quoted string or name
        if not sql and field.group("kind") == "%":
            continue
        while span_index < len(spans) and spans[span_index][1] <= field.start():
            span_index += 1
        inside = span_index < len(spans) and spans[span_index][0] <= field.start()
        if inside or (name is not None and secrets.is_secret_name(name)):
            secret_fields.add(index if name is None else name)
        index += 1
    pieces: list[str] = []
    written: set[str] = set()
    done = 0
    for start, end in spans:
        value = template[start:end]
        if start < done or end <= start or _is_field(value, sql):
            continue  # a field: its argument is masked instead
        written.add(value.strip("'\"").replace("''", "'"))
        pieces += [template[done:start], MASK]
        done = end
    pieces.append(template[done:])
    written.discard("")
    return TemplateSecrets("".join(pieces), frozenset(secret_fields), frozenset(written))
