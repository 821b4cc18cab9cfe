"""``python -m infra.local.run`` (``make run``): the whole CRM on loopback, no AWS account.

The supervisor starts an embedded AWS (moto server), deploys the stage's resources from the
cloud templates (``provision``), starts one ``service_host`` process per service (each
with the environment its Lambda functions would get), puts the gateway in front, writes
what scripts need to ``.crm/local.json`` and prints how to log in (architecture §8).
Every child runs in its own process group: Ctrl-C or SIGTERM stops them all, and a child
that dies stops everything, so nothing outlives a run.

Environment: ``CRM_PORT`` (gateway, 8000), ``CRM_AWS_PORT`` (moto, 4566), ``CRM_LOCAL_DIR``
(where local.json goes, ``.crm`` in the repository), ``CRM_SCHEDULE_SECONDS`` (schedules,
60), ``CRM_AWS_ACCESS_LOG=1`` to see moto's access log.
"""

from __future__ import annotations

import io
import json
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from secrets import token_urlsafe
from types import FrameType
from typing import Any, TextIO

REPO_ROOT = Path(__file__).resolve().parents[2]
SERVICES_DIR = REPO_ROOT / "services"
STAGE = "local"
HOST = "127.0.0.1"
FIRST_SERVICE_PORT = 8101
START_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 5.0
SAM_FUNCTION = "AWS::Serverless::Function"
FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local"}
_ACCESS_LOG = re.compile(r'"[A-Z]+ \S+ HTTP/[0-9.]+" [234]\d\d ')  # werkzeug's, but 5xx
_ANSI = re.compile(r"\x1b\[[0-9;]*m")

log = logging.getLogger("run")


class StartupError(RuntimeError):
    """The runtime cannot start; the message says why and what to do, without a traceback."""


class _Stop(BaseException):
    """Raised out of a signal handler to unwind the supervisor to its cleanup."""


# ------------------------------------------------------------------ state file


def state_dir() -> Path:
    """``$CRM_LOCAL_DIR`` (relative to the current directory) or the repository's ``.crm``."""
    configured = os.environ.get("CRM_LOCAL_DIR")
    return Path(configured).resolve() if configured else REPO_ROOT / ".crm"


def state_file() -> Path:
    return state_dir() / "local.json"


def read_state() -> dict[str, Any] | None:
    """What the last (or running) ``make run`` wrote, or None if there is nothing readable."""
    try:
        state = json.loads(state_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return state if isinstance(state, dict) else None


def write_state(state: dict[str, Any]) -> Path:
    """Write local.json atomically and owner-only: it holds the operator key."""
    path = state_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(state, handle, indent=2)
        handle.write("\n")
    os.replace(temporary, path)
    return path


# ------------------------------------------------------------------ ports and services


def port_setting(name: str, default: int) -> int:
    raw = os.environ.get(name) or str(default)
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise StartupError(f"{name} must be a port number (1-65535), not {raw!r}")
    return int(raw)


def port_is_free(port: int) -> bool:
    """True if a server could listen on 127.0.0.1:port now (TIME_WAIT leftovers do not count)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError:
            return False
    return True


def listen_from(start: int, avoid: set[int]) -> socket.socket:
    """A socket listening on the first free port from ``start`` up.

    Bound here and handed to the host process (``--fd``), so no other program, a second run
    or a test, can take the port between our check and the host's bind.
    """
    for port in range(start, 65536):
        if port in avoid:
            continue
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
            sock.listen(128)
        except OSError:
            sock.close()
            continue
        return sock
    raise StartupError(f"no free port from {start} up for the service hosts")


def discover_services() -> list[str]:
    """Every services/<svc>/ with an app.py: nothing here names a service."""
    return sorted(path.parent.name for path in SERVICES_DIR.glob("*/app.py"))


# ------------------------------------------------------------------ environments


def lambda_environment(service: str, cloudformation: Any, region: str) -> dict[str, str]:
    """The variables the service's functions get in the cloud, resolved against the local stack.

    One host runs all of a service's functions, so it gets the union of the template's
    ``Globals.Function.Environment`` and each function's own (Ref to the stage, to the stack's own
    resources, Fn::ImportValue of the shared stack's exports, Fn::Sub) and then the
    ``.chalice/config.json`` variables (global, then the ``local`` stage's) that Chalice puts
    on every function. A value that cannot be resolved locally is skipped with a warning.
    """
    from infra.local.provision import SERVICE_TEMPLATE_NAME, load_template

    env: dict[str, str] = {}
    template_path = SERVICES_DIR / service / SERVICE_TEMPLATE_NAME
    template = load_template(template_path) if template_path.is_file() else {}
    function = (template.get("Globals") or {}).get("Function") or {}
    variables = dict((function.get("Environment") or {}).get("Variables") or {})
    for resource in (template.get("Resources") or {}).values():  # function-level (merge) ones:
        if isinstance(resource, dict) and resource.get("Type") in (None, SAM_FUNCTION):
            properties = resource.get("Properties") or {}
            variables.update((properties.get("Environment") or {}).get("Variables") or {})
    stack = f"crm-{STAGE}-{service}"
    exports: dict[str, str] = {}

    def name(ref: str) -> str:
        if ref == "Stage":
            return STAGE
        if ref == "AWS::Region":
            return region
        detail = cloudformation.describe_stack_resource(StackName=stack, LogicalResourceId=ref)
        return str(detail["StackResourceDetail"]["PhysicalResourceId"])

    def export(export_name: str) -> str:
        if not exports:
            for page in cloudformation.get_paginator("list_exports").paginate():
                exports.update({e["Name"]: e["Value"] for e in page.get("Exports", [])})
        return exports[export_name]

    def resolve(node: Any) -> str:
        if isinstance(node, str | int | float | bool):
            return str(node)
        if isinstance(node, dict) and len(node) == 1:
            ((key, value),) = node.items()
            if key == "Ref":
                return name(str(value))
            if key == "Fn::ImportValue":
                return export(resolve(value))
            if key == "Fn::Sub" and isinstance(value, str):
                return re.sub(r"\$\{([A-Za-z0-9:_]+)\}", lambda m: name(m.group(1)), value)
        raise LookupError(f"unsupported locally: {node!r}")

    for variable, value in variables.items():
        try:
            env[variable] = resolve(value)
        except Exception as exc:  # noqa: BLE001 - one unresolvable variable must not stop the run
            log.warning("%s: %s not set locally (%s)", service, variable, exc)
    config_path = SERVICES_DIR / service / ".chalice" / "config.json"
    if config_path.is_file():
        config = json.loads(config_path.read_text(encoding="utf-8"))
        env.update(config.get("environment_variables") or {})
        stage_config = (config.get("stages") or {}).get(STAGE) or {}
        env.update(stage_config.get("environment_variables") or {})
    return {key: str(value) for key, value in env.items()}


def service_environment(
    service: str, provisioned: dict[str, Any], secrets: dict[str, str], lambda_env: dict[str, str]
) -> dict[str, str]:
    """A host's env: ours minus any real AWS settings, its Lambda env, then the local wiring."""
    endpoint = provisioned["aws_endpoint_url"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(lambda_env)
    env.update(FAKE_CREDENTIALS)
    env.update({
        "AWS_REGION": provisioned["region"],
        "AWS_DEFAULT_REGION": provisioned["region"],
        "AWS_ENDPOINT_URL": endpoint,  # any client without an endpoint still reaches moto
        "CRM_STAGE": STAGE,
        "CRM_AWS_ENDPOINT_URL": endpoint,
        "CRM_EVENT_BUS_NAME": provisioned["bus_name"],
        "CRM_USER_POOL_ID": provisioned["user_pool_id"],
        "CRM_USER_POOL_CLIENT_ID": provisioned["user_pool_client_id"],
        "CRM_JWKS_URL": jwks_url(provisioned),
        "CRM_SIGNING_SECRET": secrets["signing_secret"],
        "CRM_OPERATOR_KEY": secrets["operator_key"],
        "CRM_LOCAL_SERVICE_RESOURCES": json.dumps(provisioned["services"].get(service, {})),
        "POWERTOOLS_LOG_LEVEL": "INFO",
        "POWERTOOLS_METRICS_DISABLED": "true",  # EMF lines would drown the console
        "PYTHONUNBUFFERED": "1",
    })
    return env


def jwks_url(provisioned: dict[str, Any]) -> str:
    """moto serves the pool's keys here, while its tokens keep the cloud ``iss``."""
    return f"{provisioned['aws_endpoint_url']}/{provisioned['user_pool_id']}/.well-known/jwks.json"


# ------------------------------------------------------------------ children


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]
    pump: threading.Thread


def _die_with_parent() -> None:
    """Linux: SIGTERM this child if the supervisor dies, even by SIGKILL (PR_SET_PDEATHSIG)."""
    if _PRCTL is not None:
        _PRCTL(1, int(signal.SIGTERM))


def _load_prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        return ctypes.CDLL(None).prctl  # type: ignore[no-any-return]
    except (OSError, AttributeError):
        return None


_PRCTL = _load_prctl()


def _pump(name: str, stream: Any, keep: Callable[[str], bool]) -> None:
    """Copy a child's output to ours, line by line, prefixed with its name."""
    logger = logging.getLogger(f"child.{name}")
    for raw in iter(stream.readline, b""):
        line = _ANSI.sub("", raw.decode("utf-8", errors="replace")).rstrip()
        if line and keep(line):
            logger.info("%s", line, extra={"source": name})
    stream.close()


def wait_until_answering(url: str, child: Child, timeout: float = START_TIMEOUT_SECONDS) -> None:
    """Poll ``url`` until it answers 2xx (any HTTP answer if it ends in '/'), or fail clearly."""
    deadline = time.monotonic() + timeout
    while True:
        code = child.process.poll()
        if code is not None:
            raise StartupError(f"{child.name} exited with code {code} while starting (see above)")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            if url.endswith("/"):
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise StartupError(f"{child.name} did not answer {url} within {timeout:.0f} s")
        time.sleep(0.1)


class Supervisor:
    """Owns every child process and the gateway; stop_all() is safe to call at any point."""

    def __init__(self) -> None:
        self.children: list[Child] = []
        self.gateway: Any = None
        self._gateway_thread: threading.Thread | None = None
        self._interruptible = True
        self._stop_requested = False

    # -- signals --------------------------------------------------------------

    def on_signal(self, signum: int, frame: FrameType | None) -> None:
        self._stop_requested = True
        if self._interruptible:
            self._interruptible = False
            raise _Stop

    @contextmanager
    def uninterrupted(self) -> Iterator[None]:
        """Defer a signal to the end of the block, so no child is started without being recorded."""
        self._interruptible = False
        try:
            yield
        finally:
            if self._stop_requested:
                raise _Stop
            self._interruptible = True

    # -- children -------------------------------------------------------------

    def spawn(self, name: str, argv: list[str], env: dict[str, str], *,
              keep: Callable[[str], bool] = lambda line: True,
              die_with_parent: bool = False, pass_fds: tuple[int, ...] = ()) -> Child:
        with self.uninterrupted():
            process = subprocess.Popen(
                argv, cwd=REPO_ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT, start_new_session=True, pass_fds=pass_fds,
                # Only moto asks for this, and it starts before any thread of ours exists.
                preexec_fn=_die_with_parent if die_with_parent else None,
            )
            pump = threading.Thread(target=_pump, args=(name, process.stdout, keep),
                                    name=f"pump-{name}", daemon=True)
            child = Child(name, process, pump)
            self.children.append(child)
            pump.start()
        return child

    def serve_gateway(self, port: int, services: dict[str, str]) -> None:
        from infra.local.gateway import RouteConflict, serve

        try:
            self.gateway = serve(port, services, HOST)
        except RouteConflict as exc:
            raise StartupError(f"the services' routes overlap: {exc}") from exc
        except (urllib.error.URLError, ValueError) as exc:
            raise StartupError(f"a service host did not report its routes: {exc}") from exc
        except OSError as exc:
            raise StartupError(f"the gateway cannot listen on {HOST}:{port}: {exc}") from exc
        self._gateway_thread = threading.Thread(
            target=self.gateway.serve_forever, kwargs={"poll_interval": 0.2}, name="gateway",
            daemon=True,
        )
        self._gateway_thread.start()

    def watch(self) -> int:
        """Block until a child exits on its own (exit 1) or a signal unwinds us."""
        while True:
            for child in self.children:
                code = child.process.poll()
                if code is not None:
                    how = f"was killed by signal {-code}" if code < 0 else f"exited with {code}"
                    log.error("%s (pid %d) %s unexpectedly; stopping everything", child.name,
                              child.process.pid, how)
                    return 1
            time.sleep(0.3)

    def stop_all(self) -> None:
        """Gateway first, then the service hosts, then moto: TERM each group, KILL stragglers."""
        self._interruptible = False
        if self.gateway is not None:
            if self._gateway_thread is not None:
                self.gateway.shutdown()
            self.gateway.server_close()
            self.gateway = None
        hosts = [c for c in self.children if c.name != "aws"]
        aws = [c for c in self.children if c.name == "aws"]
        for group in (hosts, aws):
            live = [c for c in group if c.process.poll() is None]
            if live:
                log.info("stopping %s", ", ".join(f"{c.name} (pid {c.process.pid})" for c in live))
            for child in live:
                _signal_group(child, signal.SIGTERM)
            deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
            for child in group:
                try:
                    child.process.wait(timeout=max(0.0, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    log.warning("%s did not stop within %.0f s; killing it", child.name,
                                STOP_TIMEOUT_SECONDS)
                    _signal_group(child, signal.SIGKILL)
                    child.process.wait()
        for child in self.children:
            child.pump.join(timeout=2)
        self.children.clear()


def _signal_group(child: Child, signum: int) -> None:
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(child.process.pid, signum)


# ------------------------------------------------------------------ the run


def start(supervisor: Supervisor, port: int, aws_port: int) -> dict[str, Any]:
    """Bring everything up; returns the state written to local.json."""
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    endpoint = f"http://{HOST}:{aws_port}"
    services = discover_services()
    if not services:
        raise StartupError(f"no services/*/app.py under {SERVICES_DIR}")
    previous = read_state() or {}
    secrets = {
        "operator_key": str(previous.get("operator_key") or token_urlsafe(24)),
        "signing_secret": str(previous.get("signing_secret") or token_urlsafe(32)),
    }
    # Our own boto3 calls (provisioning) may only ever reach moto, never a real account.
    for key in [k for k in os.environ if k.startswith("AWS_")]:
        del os.environ[key]
    os.environ.update(FAKE_CREDENTIALS, AWS_REGION=region, AWS_DEFAULT_REGION=region)
    aws_env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    verbose_aws = os.environ.get("CRM_AWS_ACCESS_LOG") == "1"

    log.info("starting the embedded AWS (moto server) on %s", endpoint)
    aws = supervisor.spawn(
        "aws", [sys.executable, "-m", "infra.local.aws_server", "-H", HOST, "-p", str(aws_port)],
        aws_env,
        keep=lambda line: verbose_aws or not _ACCESS_LOG.search(line), die_with_parent=True,
    )
    wait_until_answering(f"{endpoint}/", aws)

    import boto3

    from infra.local.provision import ProvisionError, provision

    log.info("deploying stage %s for %s from the templates", STAGE, ", ".join(services))
    try:
        provisioned = provision(STAGE, services, endpoint, region)
    except ProvisionError as exc:
        raise StartupError(f"provisioning failed: {exc}") from exc
    cloudformation = boto3.client("cloudformation", endpoint_url=endpoint, region_name=region)

    ports: dict[str, int] = {}
    hosts: dict[str, Child] = {}
    for service in services:
        if service not in provisioned["services"]:
            log.warning("%s has no resources.yaml: its routes run, its events do not", service)
        env = service_environment(service, provisioned, secrets,
                                  lambda_environment(service, cloudformation, region))
        with listen_from(max([FIRST_SERVICE_PORT - 1, *ports.values()]) + 1,
                         {port, aws_port}) as sock:
            ports[service] = sock.getsockname()[1]
            hosts[service] = supervisor.spawn(service, [
                sys.executable, "-m", "infra.local.service_host", service,
                "--host", HOST, "--port", str(ports[service]), "--fd", str(sock.fileno()),
            ], env, pass_fds=(sock.fileno(),))
    urls = {service: f"http://{HOST}:{ports[service]}" for service in services}
    for service, child in hosts.items():
        wait_until_answering(f"{urls[service]}/__health", child)

    supervisor.serve_gateway(port, urls)
    routes = supervisor.gateway.routes
    state = {
        "stage": STAGE,
        "api_url": f"http://{HOST}:{port}",
        "aws_endpoint_url": endpoint,
        "region": region,
        "user_pool_id": provisioned["user_pool_id"],
        "user_pool_client_id": provisioned["user_pool_client_id"],
        "jwks_url": jwks_url(provisioned),
        "bus_name": provisioned["bus_name"],
        **secrets,
        "supervisor_pid": os.getpid(),
        "pids": {child.name: child.process.pid for child in supervisor.children},
        "services": {
            service: {
                "url": urls[service], "port": ports[service], "pid": hosts[service].process.pid,
                "prefixes": sorted(f"/{p}" for p, s in routes.items() if s == service),
                **provisioned["services"].get(service, {}),
            }
            for service in services
        },
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    write_state(state)
    return state


def walkthrough(state: dict[str, Any]) -> str:
    """What to type next: provision a tenant, log in through Cognito, call the API."""
    api, aws = state["api_url"], state["aws_endpoint_url"]
    python = Path(sys.executable)
    py = str(python.relative_to(REPO_ROOT)) if python.is_relative_to(REPO_ROOT) else "python"
    try:
        where = state_file().relative_to(Path.cwd())
    except ValueError:
        where = state_file()
    services = "\n".join(
        f"    {name:<10} {info['url']}  {' '.join(info['prefixes'])}"
        for name, info in state["services"].items()
    )
    body = json.dumps({"name": "Acme", "plan": "starter", "admin_email": "admin@acme.example",
                       "external_ref": "acme"})
    return f"""
CRM is running locally (stage {state['stage']}); Ctrl-C stops everything.
  API gateway   {api}   (GET {api}/ lists the services)
  AWS (moto)    {aws}   region {state['region']}
  user pool     {state['user_pool_id']}   app client {state['user_pool_client_id']}
  services
{services}
  written to    {where}   (api_url, operator_key, user pool ids, ...)

1. Provision a tenant (the answer holds the admin's temporary password):
  curl -s -X POST {api}/tenants -H 'Content-Type: application/json' \\
    -H 'X-Operator-Key: {state['operator_key']}' \\
    -d '{body}'

2. Log in through Cognito (the first login sets a new password):
  TOKEN=$({py} -m infra.local.login admin@acme.example 'TEMPORARY_PASSWORD')
  or with the AWS CLI against the local user pool:
  aws cognito-idp initiate-auth --endpoint-url {aws} --region {state['region']} \\
    --client-id {state['user_pool_client_id']} --auth-flow USER_PASSWORD_AUTH \\
    --auth-parameters USERNAME=admin@acme.example,PASSWORD='TEMPORARY_PASSWORD'
  (answer NEW_PASSWORD_REQUIRED with `aws cognito-idp respond-to-auth-challenge`;
   the token to send is AuthenticationResult.IdToken)

3. Call the API as that user:
  curl -H "Authorization: Bearer $TOKEN" {api}/me

A demo tenant with one user per role: make demo
"""


class _PrefixedFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        source = getattr(record, "source", None) or record.name.rsplit(".", 1)[-1]
        return "\n".join(f"{source[:10]:>10} | {line}"
                         for line in super().format(record).splitlines() or [""])


def configure_output(stream: TextIO = sys.stdout) -> None:
    """One stream, one line per record, prefixed with where it came from."""
    if isinstance(stream, io.TextIOWrapper):
        stream.reconfigure(line_buffering=True)
    handler = logging.StreamHandler(stream)
    handler.setFormatter(_PrefixedFormatter("%(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    for noisy in ("botocore", "boto3", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def main() -> int:
    """Check the ports first, start everything, wait; exit 0 on Ctrl-C/SIGTERM, 1 on failure."""
    try:
        port = port_setting("CRM_PORT", 8000)
        aws_port = port_setting("CRM_AWS_PORT", 4566)
        if port == aws_port:
            raise StartupError(f"CRM_PORT and CRM_AWS_PORT are both {port}: give them two ports")
        for variable, value in (("CRM_PORT", port), ("CRM_AWS_PORT", aws_port)):
            if not port_is_free(value):
                raise StartupError(f"port {value} is in use: stop what uses it or set "
                                   f"{variable}=<another port>")
    except StartupError as exc:
        print(exc, file=sys.stderr)
        return 1

    configure_output()
    supervisor = Supervisor()
    signal.signal(signal.SIGINT, supervisor.on_signal)
    signal.signal(signal.SIGTERM, supervisor.on_signal)
    code = 0
    try:
        state = start(supervisor, port, aws_port)
        print(walkthrough(state), flush=True)
        code = supervisor.watch()
    except _Stop:
        log.info("stopping (signal received)")
    except StartupError as exc:
        log.error("%s", exc)
        code = 1
    finally:
        supervisor.stop_all()
    log.info("stopped; nothing left running")
    return code


if __name__ == "__main__":
    sys.exit(main())
