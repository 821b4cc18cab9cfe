"""Task routes: thin; the rules live in logic.py."""

from __future__ import annotations

from datetime import datetime

from chalicelib import SERVICE
from chalicelib.tasks import logic, repository
from chalicelib.tasks.models import TaskItem
from chalicelib.tasks.schemas import TaskCreate, TaskFields, TaskOut, TaskPage
from crm_shared import clock
from crm_shared.auth.roles import ALL_ROLES, MANAGERS, WRITERS
from crm_shared.errors import BadRequest, Forbidden
from crm_shared.http import ApiRequest, Reply, ServiceApi, etag
from crm_shared.pagination import parse_limit

api = ServiceApi(SERVICE, "tasks")
LINKS = ("lead_id", "contact_id", "opportunity_id")


def shown(item: TaskItem) -> Reply:
    body = TaskOut(**logic.record(item))
    return Reply(body, headers={"ETag": etag(body.version)})


def _iso(raw: str, name: str) -> str:
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise BadRequest.for_field(name, "must be an ISO 8601 time") from None
    if moment.tzinfo is None:
        raise BadRequest.for_field(name, "must carry a time zone (Z or an offset)")
    return clock.iso(moment)


@api.route("/tasks", "POST", roles=WRITERS, body=TaskCreate, response=TaskOut, status=201)
def create_task(req: ApiRequest) -> Reply:
    """Create a task; the assignee defaults to the caller."""
    record = logic.create(req.principal, req.tenant_id,
                          req.body.model_dump(mode="json", exclude_none=True))
    return Reply(TaskOut(**record), headers={"ETag": etag(1),
                                             "Location": f"/tasks/{record['task_id']}"})


@api.route("/tasks", "GET", roles=ALL_ROLES, response=TaskPage)
def list_tasks(req: ApiRequest) -> TaskPage:
    """Open tasks of `assignee` (`me` by default; another user for managers) due before
    `due_before`, soonest first; `completed=true` lists done ones; or the tasks of one
    lead_id, contact_id or opportunity_id."""
    limit, cursor = parse_limit(req.query.get("limit")), req.query.get("cursor")
    links = {k: req.query[k] for k in LINKS if req.query.get(k)}
    if len(links) > 1:
        raise BadRequest.for_field(sorted(links)[1], "filter by one link at a time")
    if links:
        field, value = next(iter(links.items()))
        items, cursor = repository.list_by_link(req.tenant_id, field, value, limit, cursor)
    else:
        assignee = req.query.get("assignee") or "me"
        if assignee == "me":
            assignee = req.principal.subject
        elif assignee != req.principal.subject and not req.principal.roles & MANAGERS \
                and req.principal.kind == "user":
            raise Forbidden.for_field("assignee", "only managers list other people's tasks")
        completed = req.query.get("completed", "false")
        if completed not in {"true", "false"}:
            raise BadRequest.for_field("completed", "must be true or false")
        due_before = req.query.get("due_before")
        items, cursor = repository.list_by_assignee(
            req.tenant_id, assignee, completed == "true",
            _iso(due_before, "due_before") if due_before else None, limit, cursor)
    return TaskPage(items=[TaskOut(**logic.record(i)) for i in items
                           if logic.may_see(req.principal, i)], next_cursor=cursor)


@api.route("/tasks/{task_id}", "GET", roles=ALL_ROLES, response=TaskOut)
def get_task(req: ApiRequest, task_id: str) -> Reply:
    return shown(logic.get(req.principal, req.tenant_id, task_id))


@api.route("/tasks/{task_id}", "PATCH", roles=WRITERS, body=TaskFields, response=TaskOut)
def update_task(req: ApiRequest, task_id: str) -> Reply:
    """Change the fields sent; `completed: true` completes it (TaskCompleted); a new due time
    schedules a new reminder."""
    return shown(logic.update(req.principal, req.tenant_id, task_id,
                              req.body.model_dump(mode="json", exclude_unset=True),
                              req.if_match()))


@api.route("/tasks/{task_id}", "DELETE", roles=WRITERS, status=204)
def delete_task(req: ApiRequest, task_id: str) -> None:
    logic.delete(req.principal, req.tenant_id, task_id)
