"""Issue, revoke and list API tokens from the command line.

    manage.py api_token create alice --name "nightly import" --expires-in-days 90
    manage.py api_token revoke 3f9a1c2e        (a prefix, or the id from `list`)
    manage.py api_token list [--user alice]

Only a token's hash is stored: `create` prints the token once and it cannot be shown
again. A token acts as its user, with that user's model permissions.
"""

import datetime
from argparse import ArgumentTypeError

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q
from django.utils import timezone

from catalog.models import ApiToken


def positive_int(value):
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise ArgumentTypeError(f"expected a whole number of days of at least 1, got {value!r}")
    return number


def moment(value):
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else "-"


def state(token):
    if token.revoked_at is not None:
        return "revoked"
    if not token.is_usable:
        return "expired"
    if not token.user.is_active:
        return "user inactive"
    return "usable"


class Command(BaseCommand):
    help = "Create, revoke or list API tokens (only their hashes are stored)."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

        create = actions.add_parser("create", help="Issue a token; it is printed once.")
        create.add_argument("username", help="The user the token acts as.")
        create.add_argument("--name", required=True, help="What or who uses it.")
        create.add_argument(
            "--expires-in-days",
            type=positive_int,
            metavar="N",
            help="Expire after N days (default: never).",
        )

        revoke = actions.add_parser("revoke", help="Revoke a token, by prefix or id.")
        revoke.add_argument("token", metavar="PREFIX_OR_ID", help="As shown by `list`.")

        listing = actions.add_parser("list", help="List tokens (never the tokens themselves).")
        listing.add_argument("--user", metavar="USERNAME", help="Only this user's tokens.")

    def handle(self, *args, action, **options):
        getattr(self, f"handle_{action}")(**options)

    def find_user(self, username):
        User = get_user_model()
        try:
            return User.objects.get(**{User.USERNAME_FIELD: username})
        except User.DoesNotExist:
            raise CommandError(f"No user {username!r}.") from None

    def handle_create(self, *, username, name, expires_in_days, **options):
        user = self.find_user(username)
        expires_at = None
        if expires_in_days:
            expires_at = timezone.now() + datetime.timedelta(days=expires_in_days)
        try:
            token, raw = ApiToken.issue(user=user, name=name, expires_at=expires_at)
        except ValidationError as error:
            problems = "; ".join(
                f"{field}: {' '.join(messages)}" for field, messages in error.message_dict.items()
            )
            raise CommandError(f"No token created. {problems}") from None
        self.stdout.write(
            f"Created token {token.prefix} (id {token.pk}) {name!r} for {user}, "
            f"expires {moment(expires_at) if expires_at else 'never'}."
        )
        self.stdout.write("The token, shown only this once (only its hash is stored):")
        self.stdout.write(raw)

    def handle_revoke(self, *, token, **options):
        match = Q(prefix=token)
        if token.isdigit():
            match |= Q(pk=int(token))
        found = list(ApiToken.objects.filter(match).select_related("user"))
        if not found:
            raise CommandError(f"No token with prefix or id {token!r}; see `api_token list`.")
        if len(found) > 1:
            ids = ", ".join(str(candidate.pk) for candidate in found)
            raise CommandError(f"{token!r} matches several tokens (ids {ids}); give the id.")
        found = found[0]
        if found.revoked_at is not None:
            self.stdout.write(f"Token {found} was already revoked at {moment(found.revoked_at)}.")
            return
        found.revoke()
        self.stdout.write(self.style.SUCCESS(f"Revoked token {found}."))

    def handle_list(self, *, user, **options):
        tokens = ApiToken.objects.select_related("user").order_by("created", "pk")
        if user is not None:
            tokens = tokens.filter(user=self.find_user(user))
        header = (
            "id",
            "prefix",
            "name",
            "user",
            "created",
            "expires_at",
            "revoked_at",
            "last_used_at",
            "state",
        )
        rows = [
            (
                str(token.pk),
                token.prefix,
                token.name,
                token.user.get_username(),
                moment(token.created),
                moment(token.expires_at),
                moment(token.revoked_at),
                moment(token.last_used_at),
                state(token),
            )
            for token in tokens
        ]
        if not rows:
            self.stdout.write("No tokens.")
            return
        widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
        for row in [header, *rows]:
            self.stdout.write(
                "  ".join(
                    cell.ljust(width) for cell, width in zip(row, widths, strict=True)
                ).rstrip()
            )
