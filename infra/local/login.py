"""``python -m infra.local.login EMAIL PASSWORD [--new-password P]``: an ID token, on stdout only.

Logs in the way a web or mobile client does (architecture §8): Cognito ``InitiateAuth``
with USER_PASSWORD_AUTH against the local user pool that ``make run`` wrote to
``.crm/local.json``, answering ``NEW_PASSWORD_REQUIRED`` on a first login. Only the token
goes to stdout, so ``TOKEN=$(python -m infra.local.login ...)`` works; everything else,
including the password a first login set, goes to stderr.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from infra.local.run import read_state, state_file

#: Set on first login unless --new-password says otherwise; meets the pool's policy.
DEMO_PASSWORD = "Demo-Horse-7-Battery!"


class LoginError(RuntimeError):
    """A login that cannot succeed; the message says what to do."""


def cognito_client(state: dict[str, Any]) -> Any:
    """A cognito-idp client for the local pool; moto accepts any credentials, so fake ones."""
    import boto3

    return boto3.client(
        "cognito-idp", endpoint_url=state["aws_endpoint_url"], region_name=state["region"],
        aws_access_key_id="local", aws_secret_access_key="local",
    )


def login(state: dict[str, Any], email: str, password: str,
          new_password: str = DEMO_PASSWORD) -> tuple[str, bool]:
    """Return (ID token, whether this first login set ``new_password``)."""
    from botocore.exceptions import BotoCoreError, ClientError

    client = cognito_client(state)
    client_id = state["user_pool_client_id"]
    try:
        result = client.initiate_auth(
            ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": email, "PASSWORD": password},
        )
        changed = result.get("ChallengeName") == "NEW_PASSWORD_REQUIRED"
        if changed:
            result = client.respond_to_auth_challenge(
                ClientId=client_id, ChallengeName="NEW_PASSWORD_REQUIRED",
                Session=result["Session"],
                ChallengeResponses={"USERNAME": email, "NEW_PASSWORD": new_password},
            )
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code in ("NotAuthorizedException", "UserNotFoundException"):
            raise LoginError(
                f"{email}: wrong email or password (after a first login the password is the"
                f" new one, by default {DEMO_PASSWORD})"
            ) from exc
        if code == "InvalidPasswordException":
            raise LoginError(f"the pool refused the new password: {exc}") from exc
        raise LoginError(f"Cognito refused the login: {exc}") from exc
    except BotoCoreError as exc:
        raise LoginError(
            f"cannot reach the local AWS at {state['aws_endpoint_url']}: is `make run` running?"
            f" ({exc})"
        ) from exc
    if "AuthenticationResult" not in result:
        raise LoginError(f"unexpected challenge {result.get('ChallengeName')!r}")
    return str(result["AuthenticationResult"]["IdToken"]), changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Log in to the local user pool and print the ID token (only) on stdout.")
    parser.add_argument("email")
    parser.add_argument("password", help="the temporary password on a first login")
    parser.add_argument("--new-password", default=DEMO_PASSWORD,
                        help=f"set on a first login (default: {DEMO_PASSWORD})")
    args = parser.parse_args(argv)
    state = read_state()
    if state is None:
        print(f"no {state_file()}: start the local runtime first (make run)", file=sys.stderr)
        return 1
    try:
        token, changed = login(state, args.email.lower(), args.password, args.new_password)
    except LoginError as exc:
        print(exc, file=sys.stderr)
        return 1
    if changed:
        print(f"first login: {args.email}'s password is now {args.new_password}",
              file=sys.stderr)
    print(token)
    return 0


if __name__ == "__main__":
    sys.exit(main())
