"""The only code that knows routing keys.

- an agent: `T#<t>#AGENT#<usr>` / `AGENT` (skills, open_count);
- a rule's round robin: `T#<t>#ROUND_ROBIN#<rule>` / `POSITION`.
"""

from __future__ import annotations

from chalicelib.routing.models import AgentItem, RoundRobinItem
from crm_shared.dynamo import tenant_key
from crm_shared.unit_of_work import UnitOfWork

AGENT, POSITION = "AGENT", "POSITION"


def agent_pk(tenant_id: str, user_id: str) -> str:
    return tenant_key(tenant_id, "AGENT", user_id)


def get_agent(tenant_id: str, user_id: str, consistent: bool = False) -> AgentItem | None:
    try:
        return AgentItem.get(agent_pk(tenant_id, user_id), AGENT, consistent_read=consistent)
    except AgentItem.DoesNotExist:
        return None


def agents(tenant_id: str, user_ids: list[str]) -> dict[str, AgentItem]:
    """The agents among `user_ids` that have an item: one BatchGet (100 at most)."""
    keys = [(agent_pk(tenant_id, u), AGENT) for u in user_ids[:100]]
    return {a.user_id or a.PK.rsplit("#", 1)[1]: a for a in AgentItem.batch_get(keys)}


def count_open(uow: UnitOfWork, tenant_id: str, user_id: str, delta: int) -> None:
    """Add `delta` to the agent's open tickets, in the ticket's transaction."""
    uow.update(AgentItem(PK=agent_pk(tenant_id, user_id), SK=AGENT),
               [AgentItem.open_count.add(delta), AgentItem.user_id.set(user_id)],
               label="agent_open_count")


def set_skills(uow: UnitOfWork, tenant_id: str, user_id: str, skills: list[str],
               now: str) -> None:
    uow.update(AgentItem(PK=agent_pk(tenant_id, user_id), SK=AGENT),
               [AgentItem.skills.set(skills), AgentItem.user_id.set(user_id),
                AgentItem.updated_at.set(now)], label="agent")


def round_robin(tenant_id: str, rule_id: str) -> RoundRobinItem:
    key = tenant_key(tenant_id, "ROUND_ROBIN", rule_id)
    try:
        return RoundRobinItem.get(key, POSITION, consistent_read=True)
    except RoundRobinItem.DoesNotExist:
        return RoundRobinItem(PK=key, SK=POSITION, position=0)


def advance(uow: UnitOfWork, item: RoundRobinItem) -> None:
    """Move the rule's position on, unless another assignment moved it first (the event is
    then retried and reads the new position)."""
    seen = int(item.position or 0)
    condition = RoundRobinItem.PK.does_not_exist() | (RoundRobinItem.position == seen)
    uow.update(item, [RoundRobinItem.position.set(seen + 1)], condition=condition,
               label="round_robin")
