"""Secrets never leave chrono: masked by name and by form, in every text chrono makes.

The table ``FORMS`` holds the ways a secret reached a story in the reliability probe of issue
23 (names, f-strings, headers, URLs, keys, keywords, log arguments, exceptions, token formats),
each recorded once; every output must lack the secret: the story's text, its JSON, the HTML
page, and the live lines.
"""

from __future__ import annotations

import base64
import io
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace

import pytest

import chrono
from chrono import tp
from chrono._secrets import DEFAULT_SECRET_NAMES, MASK, Secrets, template_secrets
from chrono.export import html_report
from chrono.render import live_line

#: The part of every secret that must never be shown.
CORE = "S3CRET07X"
LOG = logging.getLogger("app.secrets")


@dataclass
class Credentials:
    user: str
    password: str


class RaisingRepr:
    """A value whose repr fails with a message that holds the secret."""

    def __init__(self, message: str) -> None:
        self.message = message

    def __repr__(self) -> str:
        raise ValueError(self.message)


def _pem(core: str) -> str:
    body = "\n".join(["MIIEowIBAAKCAQEA" + core + "x" * 40, "Zm9vYmFy" * 8, "c2VjcmV0" * 8])
    return f"-----BEGIN RSA PRIVATE KEY-----\n{body}\n-----END RSA PRIVATE KEY-----\n"


def _jwt(core: str) -> str:
    def part(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).decode().rstrip("=")

    header = part(b'{"alg":"HS256","typ":"JWT"}')
    payload = part(b'{"sub":"1234567890","name":"Ada"}')
    return f"{header}.{payload}.{core}-signature_part"


def _by_name(core: str) -> None:
    password = core
    tp(password)


def _attribute(core: str) -> None:
    user = SimpleNamespace(api_key=core)
    tp(user.api_key)


def _subscript(core: str) -> None:
    headers = {"Authorization": f"Bearer {core}"}
    tp(headers["Authorization"])


def _cookie(core: str) -> None:
    request = SimpleNamespace(cookie=f"sessionid={core}")
    tp(request.cookie)


def _keyword(core: str) -> None:
    tp(token=core)


def _keyword_beside_a_value(core: str) -> None:
    tp(3, secret=core)


def _dict_key(core: str) -> None:
    settings = {"user": "ada", "password": core}
    tp(settings)


def _nested_dict(core: str) -> None:
    config = {"db": {"host": "db.local", "credentials": {"pwd": core}}}
    tp(config)


def _list_under_key(core: str) -> None:
    tp({"tokens": ["first", core]})


def _dataclass_field(core: str) -> None:
    tp(Credentials("ada", core))


def _namespace_field(core: str) -> None:
    tp(SimpleNamespace(name="svc", access_key=core))


def _headers_dict(core: str) -> None:
    tp({"Authorization": f"Bearer {core}", "Accept": "text/html"})


def _fstring_key(core: str) -> None:
    tp(f"session_id={core}")


def _fstring_bearer(core: str) -> None:
    tp(f"Authorization: Bearer {core}")


def _fstring_basic(core: str) -> None:
    # The credential as a header carries it (base64 of "user:password"), the core inside.
    tp(f"Authorization: Basic Ym9iOn{core}Q==")


def _fstring_token_scheme(core: str) -> None:
    tp(f"Authorization: Token {core}")


def _bearer_in_free_text(core: str) -> None:
    tp(f"curl -H 'X-Upstream: Bearer {core}' https://api.example.com")


def _digest(core: str) -> None:
    tp(f'Digest username="bob", realm="api", nonce="abc", response="{core}"')


def _url_password(core: str) -> None:
    tp(f"postgres://bob:{core}@db.local:5432/shop")


def _url_password_only(core: str) -> None:
    tp(f"redis://:{core}@cache:6379/0")


def _url_in_a_dict(core: str) -> None:
    tp({"broker": f"amqp://guest:{core}@mq.local//"})


def _pem_key(core: str) -> None:
    key_file = _pem(core)
    tp(key_file)


def _stripe(core: str) -> None:
    tp(f"sk_live_{core}abcd")


def _stripe_dashes(core: str) -> None:
    tp(f"charging with sk-live-{core}")


def _stripe_restricted(core: str) -> None:
    tp([f"rk_live_{core}zz", "visible"])


def _github(core: str) -> None:
    tp(f"ghp_{core}AbCdEfGhIjKlMnOpQrStUvWx12")


def _github_fine_grained(core: str) -> None:
    tp(f"github_pat_11ABCDEFG0{core}_abcdefghijklmnopqrstuvwxyz")


def _slack(core: str) -> None:
    tp(f"xoxb-1234567890-{core}")


def _aws_key_id(core: str) -> None:
    tp({"region": "eu-west-1", "key": f"AKIA{core[:9]}ABCDEFG"})


def _jwt_value(core: str) -> None:
    tp(f"jwt {_jwt(core)}")


def _google(core: str) -> None:
    tp(f"AIzaSy{core}-0123456789abcdefghijklmn")


def _long_text(core: str) -> None:
    text = f"password={core} " + "z" * 5_000
    tp(text)


def _repr_raises(core: str) -> None:
    tp(RaisingRepr(f"token={core}"))


def _repr_raises_with_url(core: str) -> None:
    tp(RaisingRepr(f"cannot reach mysql://app:{core}@db/"))


def _log_field(core: str) -> None:
    LOG.warning("retrying with token=%s", core)


def _log_spaced_field(core: str) -> None:
    LOG.warning("login password = %s for %s", f"two words {core}", "bob")


def _log_named_field(core: str) -> None:
    LOG.warning("login %(password)s for %(user)s", {"password": core, "user": "bob"})


def _log_insert(core: str) -> None:
    LOG.warning("INSERT INTO users (name, pwd) VALUES (%s, %s)", "bob", core)


def _django_sql_placeholders(core: str) -> None:
    sql = 'SELECT "id" FROM "auth_user" WHERE "auth_user"."password" = %s AND "name" = %s'
    LOG.debug("(%.3f) %s; args=%s; alias=%s", 0.001, sql, (core, "bob"), "default")


def _django_sql_values_written(core: str) -> None:
    sql = f'UPDATE "auth_user" SET "password" = \'{core}\' WHERE "auth_user"."username" = \'bob\''
    LOG.debug("(%.3f) %s; args=%s; alias=%s", 0.001, sql, (core, "bob"), "default")


def _django_insert(core: str) -> None:
    sql = (
        'INSERT INTO "auth_user" ("password", "last_login", "username") '
        f"VALUES ('{core}', NULL, 'bob') RETURNING \"auth_user\".\"id\""
    )
    LOG.debug("(%.3f) %s; args=%s; alias=%s", 0.001, sql, (core, None, "bob"), "default")


def _log_exception(core: str) -> None:
    try:
        raise PermissionError(f"rejected api_key={core}")
    except PermissionError:
        LOG.exception("call failed")


def _log_url(core: str) -> None:
    LOG.error("cannot connect to %s", f"postgresql://app:{core}@db.local/shop")


#: (case, how it records a secret whose core is CORE). Each case is recorded inside a story.
FORMS: list[tuple[str, Callable[[str], None]]] = [
    ("name", _by_name),
    ("attribute", _attribute),
    ("subscript", _subscript),
    ("cookie", _cookie),
    ("keyword", _keyword),
    ("keyword-beside-a-value", _keyword_beside_a_value),
    ("dict-key", _dict_key),
    ("nested-dict", _nested_dict),
    ("list-under-a-key", _list_under_key),
    ("dataclass-field", _dataclass_field),
    ("namespace-field", _namespace_field),
    ("headers-dict", _headers_dict),
    ("f-string-key", _fstring_key),
    ("f-string-bearer", _fstring_bearer),
    ("f-string-basic", _fstring_basic),
    ("f-string-token-scheme", _fstring_token_scheme),
    ("bearer-in-free-text", _bearer_in_free_text),
    ("digest", _digest),
    ("url-password", _url_password),
    ("url-password-only", _url_password_only),
    ("url-in-a-dict", _url_in_a_dict),
    ("pem-private-key", _pem_key),
    ("stripe-key", _stripe),
    ("stripe-key-dashes", _stripe_dashes),
    ("stripe-restricted-key", _stripe_restricted),
    ("github-token", _github),
    ("github-fine-grained-token", _github_fine_grained),
    ("slack-token", _slack),
    ("aws-access-key-id", _aws_key_id),
    ("jwt", _jwt_value),
    ("google-api-key", _google),
    ("long-text", _long_text),
    ("repr-raises", _repr_raises),
    ("repr-raises-with-url", _repr_raises_with_url),
    ("log-field", _log_field),
    ("log-spaced-field", _log_spaced_field),
    ("log-named-field", _log_named_field),
    ("log-insert", _log_insert),
    ("django-sql-placeholders", _django_sql_placeholders),
    ("django-sql-values-written", _django_sql_values_written),
    ("django-insert", _django_insert),
    ("log-exception", _log_exception),
    ("log-url", _log_url),
]


def _core_of(case: str) -> str:
    # An AWS key id has room for nine characters of the core only.
    return CORE[:9] if case == "aws-access-key-id" else CORE


@pytest.fixture
def debug_logs() -> Callable[[], None]:
    """The test logger lets DEBUG records through (Django's SQL log is at DEBUG)."""
    LOG.setLevel(logging.DEBUG)
    yield lambda: None
    LOG.setLevel(logging.NOTSET)


class TestEverySecretForm:
    @pytest.mark.usefixtures("debug_logs")
    @pytest.mark.parametrize(("case", "record"), FORMS, ids=[case for case, _ in FORMS])
    def test_secret_reaches_no_output(self, case: str, record: Callable[[str], None]) -> None:
        """The secret is in none of the story's text, JSON, HTML page and live lines."""
        core = _core_of(case)
        with chrono.story(case) as story:
            record(core)
        assert story.events, "the case recorded nothing"
        outputs = {
            "text": story.text(),
            "json": story.to_json(),
            "html": html_report([story]),
            "live lines": "\n".join(live_line(event) for event in story.events),
        }
        for output, text in outputs.items():
            assert core not in text, f"{case}: the secret is in the {output}"
        assert MASK in outputs["text"]

    @pytest.mark.parametrize(
        ("case", "record"),
        [(case, record) for case, record in FORMS if not case.startswith(("log", "django"))],
        ids=[case for case, _ in FORMS if not case.startswith(("log", "django"))],
    )
    def test_secret_reaches_no_live_line_outside_a_story(
        self, case: str, record: Callable[[str], None]
    ) -> None:
        """Printed live, one line per event, the secret is masked as in a story."""
        printed = io.StringIO()
        chrono.configure(output=printed)
        record(_core_of(case))
        assert printed.getvalue().count("\n") >= 1
        assert _core_of(case) not in printed.getvalue()
        assert MASK in printed.getvalue()

    def test_the_table_holds_the_issues_forms(self) -> None:
        """At least the 39 forms the probe tried are in the table, each a case of its own."""
        assert len({case for case, _ in FORMS}) == len(FORMS) >= 39


#: A text of each form, and how it is shown.
FORM_EXAMPLES = [
    ("Authorization: Bearer abc", f"Authorization: Bearer {MASK}"),
    ("authorization=bearer abc", f"authorization=bearer {MASK}"),
    ("Bearer eyJraWQ.a-b_c9", f"Bearer {MASK}"),
    ("Basic dXNlcjpwYXNz", f"Basic {MASK}"),
    ("https://bob:hunter2@example.com/x", f"https://bob:{MASK}@example.com/x"),
    ("redis://:pw1@cache:6379", f"redis://:{MASK}@cache:6379"),
    ("key sk_live_4eC39HqLyjWDarjtT1zdp7dc", f"key sk_live_{MASK}"),
    ("ghp_0123456789abcdefABCDEF0123456789abcd", f"ghp_{MASK}"),
    ("xoxb-12345-67890-abcdef", f"xoxb-{MASK}"),
    ("AKIAIOSFODNN7EXAMPLE", f"AKIA{MASK}"),
    ("AIzaSyA-0123456789abcdefghijklmnopqrstu", f"AIza{MASK}"),
    (
        "-----BEGIN OPENSSH PRIVATE KEY-----\\nb3Blbn\\n-----END OPENSSH PRIVATE KEY-----",
        f"-----BEGIN OPENSSH PRIVATE KEY-----{MASK}-----END OPENSSH PRIVATE KEY-----",
    ),
    ("eyJhbGciOi.eyJzdWIiOi.sig-nature", MASK),
    ('Digest username="a", response="b"', f"Digest {MASK}"),
    ('OAuth oauth_consumer_key="k", oauth_nonce="n"', f"OAuth {MASK}"),
    ("Token 0123abcd9", f"Token {MASK}"),
    ("ApiKey 0123456789abcdef", f"ApiKey {MASK}"),
    ("NTLM TlRMTVNTUAABAAAAB4IIog==", f"NTLM {MASK}"),
    ("Negotiate YIIBhwYGKwYBBQUCoIIBezCCAXeg", f"Negotiate {MASK}"),
    ("sk-proj-abcdefgh12345", f"sk-proj-{MASK}"),
    ("github_pat_11ABCDEFG0123456789_abcdef", f"github_pat_{MASK}"),
    ("glpat-0123456789abcdefghij", f"glpat-{MASK}"),
    ("ASIAIOSFODNN7EXAMPLE", f"ASIA{MASK}"),
    ("SG.0123456789abcdefgh.0123456789abcdefghij", f"SG.{MASK}"),
]


def masked(text: str, secrets: Secrets | None = None) -> str:
    return (secrets or Secrets(DEFAULT_SECRET_NAMES)).mask(text)


class TestForms:
    @pytest.mark.parametrize(("text", "expected"), FORM_EXAMPLES)
    def test_the_secret_is_masked_and_its_kind_stays_in_view(
        self, text: str, expected: str
    ) -> None:
        """Each form masks the credential and keeps what says what it was (scheme, prefix)."""
        assert masked(text) == expected

    def test_a_long_text_is_masked_alike(self) -> None:
        """Past 64 characters a quicker test decides whether to scan: every form still counts."""
        for text, expected in FORM_EXAMPLES:
            padding = "\n" + "0" * 80
            assert masked(text + padding) == expected + padding

    @pytest.mark.parametrize(
        "text",
        [
            "Basic support is free; Token expired at noon",
            "Bearer of bad news",
            "https://example.com:8443/path?q=1",
            "see http://user@example.com/ for the docs",
            "the sk_live_ prefix, the ghp_ prefix, xoxb- and AKIA alone",
            "-----BEGIN CERTIFICATE-----\\nMIIB\\n-----END CERTIFICATE-----",
            "eyJ alone, eyJhbGciOi without a payload",
        ],
    )
    def test_text_that_only_resembles_a_secret_is_left_alone(self, text: str) -> None:
        """Scheme words in prose, URLs without a password, bare prefixes, certificates."""
        assert masked(text) == text

    def test_forms_can_be_turned_off_and_own_patterns_added(self) -> None:
        """configure(secret_forms=False) stops the forms; secret_values adds a pattern."""
        url = "postgres://bob:hunter2@db/x"
        internal = "id corp-0123456789abcdef"
        chrono.configure(secret_forms=False, secret_values=r"corp-[0-9a-f]{16}")
        with chrono.story() as story:
            tp(url)
            tp(internal)
        assert story.values("url") == [repr(url)]
        assert story.values("internal") == [f"'id {MASK}'"]
        chrono.configure(secret_forms=True, secret_values="")
        with chrono.story() as story:
            tp(url)
            tp(internal)
        assert story.values("url") == [f"'postgres://bob:{MASK}@db/x'"]
        assert story.values("internal") == [repr(internal)]

    def test_names_off_keeps_the_forms(self) -> None:
        """configure(secret_names="") stops masking by name only."""
        chrono.configure(secret_names="")
        password = "hunter2"
        key = "sk_live_4eC39HqLyjWDarjtT1zdp7dc"
        with chrono.story() as story:
            tp(password)
            tp(key)
        assert story.values("password") == ["'hunter2'"]
        assert story.values("key") == [f"'sk_live_{MASK}'"]

    @pytest.mark.parametrize(
        "piece",
        [
            "Bearer ",
            "Bearer a",
            "://",
            "://a:",
            "-----BEGIN ",
            "-----BEGIN RSA PRIVATE KEY-----a",
            "eyJ",
            "eyJa.eyJ",
            "xox",
            "sk_live_",
            "Digest a=",
            "password=",
            "a" * 7,
        ],
    )
    def test_masking_takes_time_in_proportion_to_the_text(self, piece: str) -> None:
        """A text made of one form's beginning again and again masks in linear time: 400 kB
        in well under a second (a pattern that rescans would take minutes)."""
        secrets = Secrets(DEFAULT_SECRET_NAMES, values=r"corp-\w+")
        text = piece * (400_000 // len(piece))
        started = time.perf_counter()
        secrets.mask(text)
        assert time.perf_counter() - started < 2.0


class TestPlaceholders:
    def test_a_failing_repr_shows_no_secret(self) -> None:
        """A __repr__ raising ValueError("token=...") names the error, its secret masked."""
        with chrono.story() as story:
            tp(RaisingRepr("token=S3CRET"))
        (shown,) = story.values('RaisingRepr("token=S3CRET")')
        assert shown == f"<repr failed: ValueError: token={MASK}>"

    def test_a_long_message_is_masked_before_it_is_cut(self) -> None:
        """A secret straddling the 200 characters a placeholder keeps is still masked."""
        message = "x" * 190 + " ghp_0123456789abcdefABCDEF0123456789abcd"
        with chrono.story() as story:
            tp(RaisingRepr(message))
        ((_, shown),) = story.events[0].items
        assert "0123456789abcdef" not in shown
        assert "ghp_" in shown

    def test_a_subtest_description_is_masked(self) -> None:
        """A subtest's parameters are values: its mark in the story masks them."""
        from chrono._events import marker_event

        event = marker_event("subtest (password='hunter2') failed", __file__, 1, "test")
        assert event.label == f"subtest (password={MASK}) failed"


class TestLogArguments:
    def test_the_programs_handlers_see_the_record_unchanged(self) -> None:
        """Only the story's text is masked: the record keeps its arguments."""
        seen: list[logging.LogRecord] = []

        class Keep(logging.Handler):
            def emit(self, record: logging.LogRecord) -> None:
                seen.append(record)

        handler = Keep()
        LOG.addHandler(handler)
        try:
            with chrono.story() as story:
                LOG.warning("login password = %s for %s", "two words", "bob")
        finally:
            LOG.removeHandler(handler)
        (record,) = seen
        assert record.args == ("two words", "bob")
        assert record.getMessage() == "login password = two words for bob"
        assert story.events[0].items == (("app.secrets", f"login password = {MASK} for bob"),)

    @pytest.mark.parametrize(
        ("statement", "parameters", "fields"),
        [
            ('SELECT 1 FROM "u" WHERE "u"."password" = %s AND "name" = %s', ("p", "n"), {0}),
            ("UPDATE u SET name = %s, pwd = %s WHERE id = %s", ("n", "p", 1), {1}),
            ("INSERT INTO u (name, password, email) VALUES (?, ?, ?)", ("n", "p", "e"), {1}),
            ("SELECT * FROM u WHERE note = 'pwd = %s' AND token = %s", ("t",), {0}),
            ("SELECT * FROM u WHERE api_key = %(key)s", {"key": "k"}, {"key"}),
        ],
        ids=["comparison", "update", "insert", "quoted-placeholder", "named"],
    )
    def test_statement_fields_paired_with_their_secret_names(
        self, statement: str, parameters: object, fields: set[object]
    ) -> None:
        """The placeholder after a secret name, or at a secret column, is a secret field."""
        found = template_secrets(statement, Secrets(DEFAULT_SECRET_NAMES), sql=True)
        assert found.fields == fields

    def test_values_written_into_a_statement_mask_their_copies(self) -> None:
        """A value written into the statement under a secret name is masked there and in the
        arguments logged beside it."""
        statement = "INSERT INTO u (pwd, name) VALUES ('it''s', 'bob'), ('x2', 'al')"
        found = template_secrets(statement, Secrets(DEFAULT_SECRET_NAMES), sql=True)
        assert found.text == f"INSERT INTO u (pwd, name) VALUES ({MASK}, 'bob'), ({MASK}, 'al')"
        assert re.sub(r"\s", "", repr(found.mask(("it's", "bob", "x2", "al")))) == (
            f"({MASK},'bob',{MASK},'al')"
        )
